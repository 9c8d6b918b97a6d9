package dev.parley.testkit;

import java.io.IOException;
import java.net.ServerSocket;

/** A TCP port nothing listens on right now (the OS's pick), for settings that take no 0. */
public final class FreePort {
  private FreePort() {}

  public static int pick() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
