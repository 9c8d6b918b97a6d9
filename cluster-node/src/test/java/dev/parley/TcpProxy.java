package dev.parley;

import java.io.IOException;

/**
 * The testkit's {@link dev.parley.testkit.TcpProxy} under the name the cluster-node tests use: forwards
 * 127.0.0.1:{@link #port()} to a real service; {@link #cut()} drops every connection and refuses new
 * ones until {@link #restore()}.
 */
public final class TcpProxy implements AutoCloseable {
  private final dev.parley.testkit.TcpProxy proxy;

  public TcpProxy(String targetHost, int targetPort) throws IOException {
    this.proxy = new dev.parley.testkit.TcpProxy(targetHost, targetPort);
  }

  public int port() {
    return proxy.port();
  }

  public void cut() {
    proxy.cut();
  }

  public void restore() {
    proxy.restore();
  }

  @Override
  public void close() {
    proxy.close();
  }
}
