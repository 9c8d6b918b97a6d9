package dev.parley.faults;

import java.time.Duration;

/**
 * The shape of a fault under load: {@code clients} senders run for {@code before}, the fault lasts
 * {@code fault} (zero for an instant one such as SIGKILL), and the load goes on for {@code after}.
 */
record Timeline(int clients, Duration before, Duration fault, Duration after) {
  static Timeline of(int clients, int beforeSeconds, int faultSeconds, int afterSeconds) {
    return new Timeline(clients, Duration.ofSeconds(beforeSeconds), Duration.ofSeconds(faultSeconds),
        Duration.ofSeconds(afterSeconds));
  }

  Timeline withClients(int n) {
    return new Timeline(n, before, fault, after);
  }
}
