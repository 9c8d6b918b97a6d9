package dev.parley.client;

import dev.parley.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@link SocketListener} that queues every frame and event for a thread of the caller's to take, in
 * arrival order: the blocking alternative to handling frames on the socket's I/O thread. Unbounded; the
 * application must keep taking (or use its own listener). Its {@code next...} methods throw
 * {@link IllegalStateException} when nothing suitable arrives in time.
 */
public final class FrameQueue implements SocketListener {
  private final BlockingQueue<Object> items = new LinkedBlockingQueue<>();

  @Override
  public void onFrame(ServerFrame frame) {
    items.add(frame);
  }

  @Override
  public void onEvent(SocketEvent event) {
    items.add(event);
  }

  /** The next frame or event, or null when none arrives within {@code timeout}. */
  public Object poll(Duration timeout) {
    try {
      return items.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a frame", e);
    }
  }

  /** The next frame, skipping events; fails after {@code timeout}. */
  public ServerFrame next(Duration timeout) {
    return next(ServerFrame.class, f -> true, timeout);
  }

  /** The next item of {@code type} (a frame or event class), skipping others; fails after {@code timeout}. */
  public <T> T next(Class<T> type, Duration timeout) {
    return next(type, f -> true, timeout);
  }

  /** The next item of {@code type} that {@code wanted} accepts, skipping (and dropping) the others. */
  public <T> T next(Class<T> type, Predicate<? super T> wanted, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Object> skipped = new ArrayList<>();
    while (true) {
      long left = deadline - System.nanoTime();
      Object item = left <= 0 ? null : poll(Duration.ofNanos(left));
      if (item == null) {
        throw new IllegalStateException("no " + type.getSimpleName() + " within " + timeout + "; skipped " + skipped);
      }
      if (type.isInstance(item) && wanted.test(type.cast(item))) {
        return type.cast(item);
      }
      skipped.add(item);
    }
  }

  /** Everything of {@code type} that arrives within {@code window} (for "nothing more came" checks). */
  public <T> List<T> drain(Class<T> type, Duration window) {
    List<T> out = new ArrayList<>();
    long deadline = System.nanoTime() + window.toNanos();
    for (long left = window.toNanos(); left > 0; left = deadline - System.nanoTime()) {
      Object item = poll(Duration.ofNanos(left));
      if (type.isInstance(item)) {
        out.add(type.cast(item));
      }
    }
    return out;
  }
}
