import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.BindException;
import java.util.Arrays;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import software.amazon.dynamodb.services.local.main.CommandLineInput;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local for Accord's embedded stack (compiled and run by local/embedded-services.ts).
 *
 * Two things the official ServerRunner cannot do:
 * - bind one address only: it builds a Jetty {@code new Server(port)}, whose connector listens on
 *   every interface, and it has no option or system property for the host. Here the same server is
 *   built by {@code ServerRunner.createServer}, and its connector is given the host (and port, 0 for
 *   one the kernel picks) before it starts;
 * - die with its parent: it exits when its standard input reaches end of file, which happens when
 *   the Node process that spawned it closes the pipe or dies, even by SIGKILL.
 *
 * Usage: AccordDynamoDBLocal HOST PORT [DynamoDB Local options, without -port]
 * Prints "listening PORT" on standard output once the server accepts connections.
 * No telemetry is configured or sent.
 */
public final class AccordDynamoDBLocal {
  static final int EXIT_USAGE = 2;
  static final int EXIT_PORT_IN_USE = 3;
  static final int EXIT_FAILED = 4;

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: AccordDynamoDBLocal HOST PORT [options]");
      System.exit(EXIT_USAGE);
    }
    String host = args[0];
    int port = Integer.parseInt(args[1]);

    // CommandLineInput insists on a port of 1 or more; the connector gets the real one below.
    String[] options = new String[args.length];
    System.arraycopy(args, 2, options, 0, args.length - 2);
    options[args.length - 2] = "-port";
    options[args.length - 1] = "8000";
    CommandLineInput input = new CommandLineInput(options);
    if (!input.init()) {
      System.exit(EXIT_USAGE);
    }

    DynamoDBProxyServer proxy = ServerRunner.createServer(input);
    Field serverField = DynamoDBProxyServer.class.getDeclaredField("server");
    serverField.setAccessible(true);
    Server server = (Server) serverField.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length != 1 || !(connectors[0] instanceof ServerConnector)) {
      System.err.println("unexpected Jetty connectors in this DynamoDB Local build: " + Arrays.toString(connectors));
      System.exit(EXIT_FAILED);
    }
    ServerConnector connector = (ServerConnector) connectors[0];
    connector.setHost(host);
    connector.setPort(port);

    exitWhenStdinCloses(proxy);

    try {
      proxy.safeStart();
    } catch (Exception e) {
      if (isBindFailure(e)) {
        System.err.println("port in use: " + host + ":" + port);
        Runtime.getRuntime().halt(EXIT_PORT_IN_USE);
      }
      e.printStackTrace();
      Runtime.getRuntime().halt(EXIT_FAILED);
    }
    System.out.println("listening " + connector.getLocalPort());
    System.out.flush();
    proxy.join();
  }

  private static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return true;
      }
    }
    return false;
  }

  private static void exitWhenStdinCloses(DynamoDBProxyServer proxy) {
    Thread watcher = new Thread(() -> {
      byte[] buffer = new byte[256];
      try {
        InputStream in = System.in;
        while (in.read(buffer) != -1) {
          // The parent never writes; anything it sends is ignored.
        }
      } catch (IOException ignored) {
        // A broken pipe means the parent is gone, the same as end of file.
      }
      // If stopping hangs, do not outlive the parent anyway.
      Thread deadline = new Thread(() -> {
        try {
          Thread.sleep(3000);
        } catch (InterruptedException ignored) {
          // exit below
        }
        Runtime.getRuntime().halt(0);
      }, "accord-stop-deadline");
      deadline.setDaemon(true);
      deadline.start();
      try {
        proxy.stop();
      } catch (Exception ignored) {
        // exiting anyway
      }
      Runtime.getRuntime().halt(0);
    }, "accord-parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }
}
