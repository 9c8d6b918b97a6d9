package dev.parley.receipts;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.kafka.KafkaSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.kafka.CommitterSettings;
import org.apache.pekko.kafka.ConsumerMessage;
import org.apache.pekko.kafka.ConsumerSettings;
import org.apache.pekko.kafka.Subscriptions;
import org.apache.pekko.kafka.javadsl.Committer;
import org.apache.pekko.kafka.javadsl.Consumer;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceWithContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka mode's {@link ReceiptSink}: conversation entities' receipt batches go to the receipts topic
 * (JSON, keyed by conversation id) and a consumer stream of the {@code receipts-group} writes them
 * to SQL with {@link ReceiptStore}, many batches per transaction.
 *
 * <p>Producer side: {@link #submit} completes only when the broker acknowledged the record (acks=all,
 * idempotent producer), so a batch the entity considers flushed survives the loss of this node.
 * A send the broker does not take within the producer's timeouts fails the submit, and the entity
 * keeps the positions dirty for its next flush.
 *
 * <p>Consumer side ({@link #startWriter}): records are gathered for {@code gather-window} (at most
 * {@code max-batches}), written in one transaction, and their offsets committed only after that
 * transaction committed. Transient database failures are retried with backoff until the write
 * commits; nothing is committed meanwhile, so the records stay in Kafka. A record that is not a
 * valid batch, or that the database refuses as data (SQLState class 22 or 23), is quarantined like the
 * SQL writer's ({@link ReceiptStore#writeOrQuarantine}: logged, counted in
 * {@code parley_quarantined_total{stream="receipts-kafka"}} and {@code parley.receipts.kafka.malformed},
 * a row in {@code quarantine} with topic-partition and offset) and skipped; its offset is committed
 * with the others, so it cannot wedge the stream. Any other failure fails the stream, which Pekko's
 * {@code RestartSource.onFailuresWithBackoff} restarts after backoff; it re-reads from the last
 * committed offset. Because every {@link ReceiptStore} write is idempotent,
 * a redelivered record (after a crash, a rebalance or a restart) changes nothing: each receipt
 * lands exactly once in effect.
 *
 * <p>What a crash loses: nothing that was acknowledged to an entity (it is in Kafka until written);
 * the entities' unflushed dirty positions as in SQL mode. Records consumed but whose offsets were not
 * yet committed are written again by the next consumer of their partition.
 */
public final class KafkaReceipts implements ReceiptSink {
  private static final Logger log = LoggerFactory.getLogger(KafkaReceipts.class);
  /** The stream name in {@code parley_quarantined_total} and the quarantine table. */
  public static final String STREAM = "receipts-kafka";

  /**
   * The protocol's one mapper: ISO-8601 instants; unknown properties are ignored so a newer producer
   * can add fields (a batch never has null fields, so leaving nulls out changes no record).
   */
  static final ObjectMapper JSON = dev.parley.protocol.ProtocolCodec.mapper();

  /** One consumed record: its batch, or null when it was malformed (skipped, offset still committed). */
  private record Parsed(ReceiptBatch batch) {}

  private final ReceiptStore store;
  private final ReceiptSettings settings;
  private final KafkaSettings kafka;
  private final Executor blocking;
  private final ActorSystem<?> system;
  private final Producer<String, String> producer;
  private final Counter published;
  private final Counter consumed;
  private final Counter malformed;
  private final Object lock = new Object();
  private final AtomicBoolean stopping = new AtomicBoolean();
  /** The control of the current run of the consumer stream (a no-op one before the first run). */
  private Consumer.Control control = Consumer.createNoopControl();
  /** Completes when the restarting stream has ended for good (after {@link #stop}). */
  private CompletionStage<Done> streamDone;
  private boolean writerStarted;

  public KafkaReceipts(ReceiptStore store, ReceiptSettings settings, KafkaSettings kafka, Executor blocking,
      ActorSystem<?> system, MeterRegistry metrics) {
    if (!kafka.enabled()) {
      throw new IllegalArgumentException("Kafka receipts need parley.kafka.bootstrap (PARLEY_KAFKA_BOOTSTRAP)");
    }
    this.store = store;
    this.settings = settings;
    this.kafka = kafka;
    this.blocking = blocking;
    this.system = system;
    this.published = Counter.builder("parley.receipts.kafka.published")
        .description("receipt batches acknowledged by Kafka").register(metrics);
    this.consumed = Counter.builder("parley.receipts.kafka.consumed")
        .description("receipt batches read from Kafka and committed to SQL").register(metrics);
    this.malformed = Counter.builder("parley.receipts.kafka.malformed")
        .description("receipt records skipped because they were not valid batches").register(metrics);
    dev.parley.sql.Quarantine.counter(metrics, STREAM);
    this.producer = dev.parley.kafka.KafkaProducers.create(system, kafka.bootstrap());
  }

  // ---------------------------------------------------------------------------------------------
  // Producer side.

  @Override
  public CompletionStage<Done> submit(ReceiptBatch batch) {
    String json;
    try {
      json = JSON.writeValueAsString(batch);
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    ProducerRecord<String, String> record = new ProducerRecord<>(settings.kafkaTopic(), batch.conversationId(), json);
    return dev.parley.kafka.KafkaProducers.send(producer, record, blocking, published);
  }

  @Override
  public CompletionStage<Map<String, long[]>> positionsOf(String conversationId) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return store.positionsOf(conversationId);
      } catch (SQLException e) {
        throw new IllegalStateException("cannot read positions of " + conversationId + ": " + e.getMessage(), e);
      }
    }, blocking);
  }

  // ---------------------------------------------------------------------------------------------
  // Consumer side.

  /**
   * Starts this node's member of the writer group (once). The consumer stream runs inside
   * {@link RestartSource#onFailuresWithBackoff}: a failure (Kafka, a non-transient database error)
   * restarts it after min-backoff .. max-backoff (doubling; Pekko resets the backoff to min-backoff when
   * no restart happened within min-backoff), re-reading from the last committed offsets.
   */
  public KafkaReceipts startWriter() {
    synchronized (lock) {
      if (writerStarted) {
        throw new IllegalStateException("the receipt writer stream is already running");
      }
      writerStarted = true;
      ConsumerSettings<String, String> consumerSettings =
          ConsumerSettings.create(system, new StringDeserializer(), new StringDeserializer())
              .withBootstrapServers(kafka.bootstrap())
              .withGroupId(kafka.receiptsGroup())
              .withProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
              // drainAndShutdown waits for the in-flight writes and commits itself.
              .withStopTimeout(Duration.ZERO);
      RestartSettings restart = RestartSettings.create(settings.minBackoff(), settings.maxBackoff(), 0.0);
      streamDone = RestartSource.onFailuresWithBackoff(restart, () -> oneRun(consumerSettings))
          .runWith(Sink.ignore(), system);
    }
    return this;
  }

  /** One run of the consumer stream: parse, gather, write in one transaction, then commit the offsets. */
  private Source<Done, ?> oneRun(ConsumerSettings<String, String> consumerSettings) {
    synchronized (lock) {
      if (stopping.get()) {
        return Source.<Done>empty(); // stopped during a backoff: end instead of restarting
      }
    }
    var grouped = Consumer.sourceWithOffsetContext(consumerSettings, Subscriptions.topics(settings.kafkaTopic()))
        .mapMaterializedValue(this::running)
        .map(this::parse)
        .asSource()
        .groupedWithin(settings.maxBatches(), settings.gatherWindow())
        .map(group -> Pair.create(group.stream().map(Pair::first).toList(),
            group.stream().map(Pair::second).toList()));
    return SourceWithContext.fromPairs(grouped)
        .mapAsync(1, this::write)
        .mapContext(ConsumerMessage::createCommittableOffsetBatch)
        .via(Committer.flowWithOffsetContext(CommitterSettings.create(system)))
        .asSource()
        .map(committed -> Done.getInstance());
  }

  /** Remembers the control of the run just started (stops it at once when {@link #stop} came first). */
  private Consumer.Control running(Consumer.Control started) {
    synchronized (lock) {
      control = started;
      if (stopping.get()) {
        started.stop();
      }
    }
    return started;
  }

  /** The batch of a record, or a malformed marker (logged and counted). */
  private Parsed parse(ConsumerRecord<String, String> record) {
    try {
      ReceiptBatch b = JSON.readValue(record.value(), ReceiptBatch.class);
      String problem = problemOf(b);
      if (problem == null) {
        return new Parsed(b);
      }
      skip(record, problem);
    } catch (Exception e) {
      skip(record, e.toString());
    }
    return new Parsed(null);
  }

  private void skip(ConsumerRecord<String, String> record, String why) {
    malformed.increment();
    IllegalArgumentException reason =
        new IllegalArgumentException("not a valid receipt batch (key " + record.key() + "): " + why);
    // On the blocking pool, not on the stream's thread; the row is for the operator, the offset moves on regardless.
    CompletableFuture.runAsync(() -> store.quarantineRecord(STREAM, record.topic() + "-" + record.partition(),
        record.offset(), reason), blocking);
  }

  /** What makes a parsed batch unwritable, or null when it is fine. */
  private static String problemOf(ReceiptBatch b) {
    if (b == null) {
      return "empty record";
    }
    if (b.conversationId() == null || b.conversationId().isBlank() || b.type() == null || b.at() == null
        || b.positions() == null || b.reads() == null || b.views() == null) {
      return "missing conversationId, type, at, positions, reads or views";
    }
    for (ReceiptBatch.Position p : b.positions()) {
      if (p == null || p.userId() == null || p.readSeq() < 0 || p.deliveredSeq() < 0) {
        return "invalid position " + p;
      }
    }
    for (ReceiptBatch.MessageRead r : b.reads()) {
      if (r == null || r.userId() == null || r.seq() < 1) {
        return "invalid message read " + r;
      }
    }
    for (ReceiptBatch.ChannelView v : b.views()) {
      if (v == null || v.seq() < 1 || v.views() < 0) {
        return "invalid channel view " + v;
      }
    }
    return null;
  }

  /**
   * Writes one group's valid batches in one transaction. When the database refuses the data, writes
   * them one by one and skips those it refuses. The SQL runs on the blocking executor.
   */
  private CompletionStage<Done> write(List<Parsed> group) {
    List<ReceiptBatch> batches = new ArrayList<>(group.size());
    for (Parsed p : group) {
      if (p.batch() != null) {
        batches.add(p.batch());
      }
    }
    if (batches.isEmpty()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    // Transient failures are retried until stopped; data the database refuses is quarantined batch by batch.
    return store.writeOrQuarantine(batches, STREAM, settings, attempt -> !stopping.get(), blocking, system)
        .thenApply(quarantined -> {
          consumed.increment(batches.size() - quarantined.size());
          malformed.increment(quarantined.size());
          return Done.getInstance();
        });
  }

  /**
   * Stops the writer (the batches in flight are written and their offsets committed; a write still
   * retrying a database outage gives up and its records are redelivered to the next writer), then
   * flushes and closes the producer. Runs at coordinated shutdown after the shards handed off, so
   * the entities' final submits are sent first.
   */
  public CompletionStage<Done> stop() {
    Consumer.Control running;
    CompletionStage<Done> completion;
    synchronized (lock) {
      stopping.set(true);
      running = control;
      completion = streamDone;
    }
    CompletionStage<Done> drained = completion == null
        ? CompletableFuture.completedFuture(Done.getInstance())
        : running.drainAndShutdown(completion, system.executionContext()).handle((done, failure) -> {
          if (failure != null) {
            log.warn("receipt writer stopped with a failure; uncommitted records will be redelivered: {}",
                failure.toString());
          }
          return Done.getInstance();
        });
    return drained.thenApplyAsync(done -> {
      producer.close(Duration.ofSeconds(5));
      return Done.getInstance();
    }, blocking).toCompletableFuture().completeOnTimeout(Done.getInstance(), 30, TimeUnit.SECONDS);
  }
}
