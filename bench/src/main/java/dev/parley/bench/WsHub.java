package dev.parley.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Client WebSocket connections (RFC 6455, text frames) whose inbound side is read by one selector
 * thread, which stamps every frame with the time the selector saw its bytes, before any parsing or
 * hand-off. The JDK WebSocket client delivers frames through its selector thread and then an
 * executor thread; on a 2-core box shared with the server that hand-off is client time that
 * would be charged to the server. Frames are sent on the caller's thread (masked, as clients must).
 *
 * <p>Answers pings with pongs, so the server's keep-alive never drops an idle socket; a close from
 * the server is echoed and reported to the connection's {@link Handler}.
 */
public final class WsHub implements AutoCloseable {
  /** What a connection does with what arrives; called on the selector thread. */
  public interface Handler {
    void text(String text, long arrivedNanos);

    void closed(Throwable why);
  }

  private final Selector selector;
  private final Thread thread;
  private final Queue<Connection> toRegister = new ConcurrentLinkedQueue<>();
  private final List<Connection> all = new ArrayList<>();
  private volatile boolean running = true;

  public WsHub() throws IOException {
    selector = Selector.open();
    thread = new Thread(this::loop, "bench-ws-hub");
    thread.setDaemon(true);
    thread.start();
  }

  /** Opens {@code ws://host:port/ws} with the token as a bearer header (blocking until the upgrade is answered). */
  public Connection connect(String host, int port, String token, Handler handler) throws IOException {
    SocketChannel ch = SocketChannel.open(new InetSocketAddress(host, port));
    ch.socket().setTcpNoDelay(true);
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    String request = "GET /ws HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
        + "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer " + token + "\r\n\r\n";
    ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
    while (out.hasRemaining()) {
      ch.write(out);
    }
    ByteBuffer in = ByteBuffer.allocate(64 * 1024);
    int headerEnd = -1;
    while (headerEnd < 0) {
      if (ch.read(in) < 0) {
        ch.close();
        throw new IOException("connection closed during the WebSocket upgrade");
      }
      headerEnd = indexOf(in, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    String head = new String(in.array(), 0, headerEnd, StandardCharsets.US_ASCII);
    if (!head.startsWith("HTTP/1.1 101")) {
      ch.close();
      throw new IOException("WebSocket upgrade refused: " + head.lines().findFirst().orElse(head));
    }
    // Anything after the header already belongs to the frame stream.
    in.flip();
    in.position(headerEnd + 4);
    in.compact();
    ch.configureBlocking(false);
    Connection c = new Connection(ch, handler, in);
    synchronized (all) {
      all.add(c);
    }
    toRegister.add(c);
    selector.wakeup();
    return c;
  }

  private static int indexOf(ByteBuffer buffer, byte[] needle) {
    byte[] a = buffer.array();
    for (int i = 0; i + needle.length <= buffer.position(); i++) {
      int j = 0;
      while (j < needle.length && a[i + j] == needle[j]) {
        j++;
      }
      if (j == needle.length) {
        return i;
      }
    }
    return -1;
  }

  private void loop() {
    while (running) {
      try {
        selector.select();
        for (Connection c = toRegister.poll(); c != null; c = toRegister.poll()) {
          c.channel.register(selector, SelectionKey.OP_READ, c);
          c.parse(System.nanoTime());
        }
        for (SelectionKey key : selector.selectedKeys()) {
          Connection c = (Connection) key.attachment();
          try {
            // Stamped per socket just before its read: a later socket's bytes may have arrived
            // while earlier ones were being parsed, so one stamp per wake-up would be too early.
            long now = System.nanoTime();
            if (c.channel.read(c.inbound) < 0) {
              key.cancel();
              c.gone(new IOException("server closed the connection"));
            } else {
              c.parse(now);
            }
          } catch (IOException | RuntimeException e) {
            key.cancel();
            c.gone(e);
          }
        }
        selector.selectedKeys().clear();
      } catch (IOException | RuntimeException e) {
        if (running) {
          System.err.println("bench ws hub: " + e);
        }
      }
    }
  }

  @Override
  public void close() {
    running = false;
    selector.wakeup();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (all) {
      all.forEach(Connection::close);
    }
    try {
      selector.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** One client connection: frames out on the caller's thread, frames in on the hub's. */
  public static final class Connection {
    private static final int TEXT = 1;
    private static final int CLOSE = 8;
    private static final int PING = 9;
    private static final int PONG = 10;

    private final SocketChannel channel;
    private final Handler handler;
    private ByteBuffer inbound;
    private final java.io.ByteArrayOutputStream fragments = new java.io.ByteArrayOutputStream();
    private int fragmentedOpcode = -1;
    private volatile boolean closed;

    private Connection(SocketChannel channel, Handler handler, ByteBuffer inbound) {
      this.channel = channel;
      this.handler = handler;
      this.inbound = inbound;
    }

    public void sendText(String text) throws IOException {
      send(TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    private synchronized void send(int opcode, byte[] payload) throws IOException {
      if (closed) {
        throw new IOException("connection closed");
      }
      int extra = payload.length < 126 ? 0 : payload.length <= 0xffff ? 2 : 8;
      ByteBuffer frame = ByteBuffer.allocate(2 + extra + 4 + payload.length);
      frame.put((byte) (0x80 | opcode));
      if (extra == 0) {
        frame.put((byte) (0x80 | payload.length));
      } else if (extra == 2) {
        frame.put((byte) (0x80 | 126)).putShort((short) payload.length);
      } else {
        frame.put((byte) (0x80 | 127)).putLong(payload.length);
      }
      byte[] mask = new byte[4];
      ThreadLocalRandom.current().nextBytes(mask);
      frame.put(mask);
      for (int i = 0; i < payload.length; i++) {
        frame.put((byte) (payload[i] ^ mask[i & 3]));
      }
      frame.flip();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (frame.hasRemaining()) {
        if (channel.write(frame) == 0) {
          if (System.nanoTime() > deadline) {
            throw new IOException("server not reading for 10 s");
          }
          // The server is not reading: wait without taking a core from it.
          java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
      }
    }

    /** Takes every complete frame out of {@link #inbound} (which is in write mode before and after). */
    private void parse(long arrived) throws IOException {
      inbound.flip();
      while (inbound.remaining() >= 2) {
        int start = inbound.position();
        int b0 = inbound.get(start) & 0xff;
        int b1 = inbound.get(start + 1) & 0xff;
        long length = b1 & 0x7f;
        int header = 2;
        if (length == 126) {
          if (inbound.remaining() < 4) {
            break;
          }
          length = inbound.getShort(start + 2) & 0xffff;
          header = 4;
        } else if (length == 127) {
          if (inbound.remaining() < 10) {
            break;
          }
          length = inbound.getLong(start + 2);
          header = 10;
        }
        boolean masked = (b1 & 0x80) != 0;
        int maskAt = start + header;
        if (masked) {
          header += 4;
        }
        if (inbound.remaining() < header + length) {
          break;
        }
        byte[] payload = new byte[(int) length];
        inbound.position(start + header);
        inbound.get(payload);
        if (masked) {
          for (int i = 0; i < payload.length; i++) {
            payload[i] ^= inbound.get(maskAt + (i & 3));
          }
        }
        frame((b0 & 0x80) != 0, b0 & 0x0f, payload, arrived);
      }
      inbound.compact();
      if (!inbound.hasRemaining()) {
        ByteBuffer bigger = ByteBuffer.allocate(inbound.capacity() * 2);
        inbound.flip();
        bigger.put(inbound);
        inbound = bigger;
      }
    }

    private void frame(boolean fin, int opcode, byte[] payload, long arrived) throws IOException {
      switch (opcode) {
        case 0 -> {
          fragments.write(payload);
          if (fin && fragmentedOpcode == TEXT) {
            handler.text(fragments.toString(StandardCharsets.UTF_8), arrived);
          }
          if (fin) {
            fragments.reset();
            fragmentedOpcode = -1;
          }
        }
        case 1, 2 -> {
          if (fin) {
            if (opcode == TEXT) {
              handler.text(new String(payload, StandardCharsets.UTF_8), arrived);
            }
          } else {
            fragments.reset();
            fragments.write(payload);
            fragmentedOpcode = opcode;
          }
        }
        case PING -> send(PONG, payload);
        case CLOSE -> {
          int status = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
          String reason = payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
          close();
          handler.closed(new IOException("server closed the socket: " + status + " " + reason));
        }
        default -> { }
      }
    }

    private void gone(Throwable why) {
      close();
      handler.closed(why);
    }

    /** Sends a normal close (1000) if still open and closes the channel. */
    public synchronized void close() {
      if (closed) {
        return;
      }
      try {
        send(CLOSE, new byte[] {0x03, (byte) 0xe8});
      } catch (IOException e) {
        // closing anyway
      }
      closed = true;
      try {
        channel.close();
      } catch (IOException e) {
        // closed
      }
    }
  }
}
