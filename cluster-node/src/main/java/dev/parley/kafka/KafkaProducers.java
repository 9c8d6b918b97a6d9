package dev.parley.kafka;

import io.micrometer.core.instrument.Counter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.kafka.ProducerSettings;

/**
 * How Parley produces to Kafka (the receipts topic and the events topic): one idempotent producer
 * with acks=all per use, and a send that completes only when the broker acknowledged the record.
 * Holds nothing; a record whose send failed is the caller's to retry.
 */
public final class KafkaProducers {
  private KafkaProducers() {}

  /** An idempotent, acks=all producer of string records (settings from {@code pekko.kafka.producer}). */
  public static Producer<String, String> create(ActorSystem<?> system, String bootstrap) {
    return ProducerSettings.create(system, new StringSerializer(), new StringSerializer())
        .withBootstrapServers(bootstrap)
        .withProperty(ProducerConfig.ACKS_CONFIG, "all")
        .withProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")
        .createKafkaProducer();
  }

  /**
   * Sends and completes when Kafka acknowledged the record (counting it in {@code acked}).
   * {@code send()} may block up to max.block.ms (metadata, a full buffer), so it runs on
   * {@code blocking}, never on the caller's (actor's or projection's) thread.
   */
  public static CompletionStage<Done> send(Producer<String, String> producer, ProducerRecord<String, String> record,
      Executor blocking, Counter acked) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    CompletableFuture.runAsync(() -> producer.send(record, (meta, failure) -> {
      if (failure == null) {
        acked.increment();
        done.complete(Done.getInstance());
      } else {
        done.completeExceptionally(failure);
      }
    }), blocking).exceptionally(e -> {
      done.completeExceptionally(e);
      return null;
    });
    return done;
  }
}
