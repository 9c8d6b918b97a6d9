package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The generator's clients: one WebSocket per member of every conversation of a {@link Population},
 * each subscribed to its conversation. Frames go to the current {@link #handler}, which a scenario
 * swaps per step; {@code subscribed} answers are consumed here.
 */
final class Fleet implements AutoCloseable {
  final List<Population.Conversation> conversations;
  /** sockets.get(i).get(m) is member m of conversation i. */
  final List<List<BenchSocket>> sockets = new ArrayList<>();
  /** Error frames, unparsable frames, failed sends and abnormal closes. */
  final AtomicLong errors = new AtomicLong();
  private final Map<String, Integer> errorCodes = new HashMap<>();
  volatile BenchSocket.FrameHandler handler = (s, f, at) -> { };

  /** Two reader threads for all sockets: frames are stamped as they arrive, before parsing. */
  private final List<WsHub> hubs = new ArrayList<>();

  private Fleet(List<Population.Conversation> conversations) {
    this.conversations = conversations;
  }

  static Fleet open(String baseUrl, List<Population.Conversation> conversations) throws Exception {
    Fleet fleet = new Fleet(conversations);
    fleet.hubs.add(new WsHub());
    fleet.hubs.add(new WsHub());
    int total = conversations.stream().mapToInt(c -> c.members().size()).sum();
    CountDownLatch subscribed = new CountDownLatch(total);
    BenchSocket.FrameHandler dispatch = (socket, frame, at) -> {
      String type = frame.path("type").asText();
      if (type.equals("subscribed") && frame.has("ref")) {
        subscribed.countDown();
      } else {
        if (type.equals("error")) {
          fleet.error(frame);
        }
        fleet.handler.onFrame(socket, frame, at);
      }
    };
    int opened = 0;
    for (Population.Conversation c : conversations) {
      List<BenchSocket> members = new ArrayList<>();
      for (Population.Member m : c.members()) {
        BenchSocket s = BenchSocket.open(fleet.hubs.get(opened++ % fleet.hubs.size()), baseUrl, m.userId(),
            m.token(), dispatch, fleet.errors);
        s.send("{\"type\":\"subscribe\",\"conv\":\"" + c.id() + "\",\"ref\":\"sub\"}");
        members.add(s);
      }
      fleet.sockets.add(members);
    }
    if (!subscribed.await(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException(subscribed.getCount() + " of " + total + " sockets did not get subscribed; "
          + "errors " + fleet.errorCodes);
    }
    return fleet;
  }

  private void error(JsonNode frame) {
    errors.incrementAndGet();
    synchronized (errorCodes) {
      String key = frame.path("code").asText() + ": " + frame.path("message").asText();
      if (errorCodes.merge(key, 1, Integer::sum) == 1 && errorCodes.size() <= 5) {
        System.err.println("error frame: " + frame);
      }
    }
  }

  int size() {
    return sockets.stream().mapToInt(List::size).sum();
  }

  @Override
  public void close() {
    sockets.forEach(ms -> ms.forEach(BenchSocket::close));
    hubs.forEach(WsHub::close);
  }
}
