package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The chaos run's faulty network, with plain sockets and an echo server behind the proxy. */
class FaultyProxyTest {
    /** Long enough that a byte that was forwarded arrives; a lost one is what times out. */
    private static final int READ_PATIENCE_MS = 1_000;

    private ServerSocket echo;
    private FaultyProxy proxy;
    private final List<Socket> clients = new ArrayList<>();

    @BeforeEach
    void startEchoAndProxy() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket socket = echo.accept();
                    Thread pump = new Thread(() -> echoBack(socket));
                    pump.setDaemon(true);
                    pump.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        proxy = FaultyProxy.start("test", new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getLocalPort()));
    }

    private static void echoBack(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            for (int b = in.read(); b >= 0; b = in.read()) {
                socket.getOutputStream().write(b);
            }
        } catch (IOException e) {
            // The test closed it.
        }
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket client : clients) {
            client.close();
        }
        proxy.close();
        echo.close();
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
        socket.setSoTimeout(READ_PATIENCE_MS);
        clients.add(socket);
        return socket;
    }

    /** Sends one byte and returns the byte read back (or throws on time-out, -1 at end of stream). */
    private static int roundTrip(Socket socket, int value) throws IOException {
        socket.getOutputStream().write(value);
        socket.getOutputStream().flush();
        return socket.getInputStream().read();
    }

    @Test
    void forwardsBytesBothWaysWhenNoFaultIsOn() throws IOException {
        Socket client = connect();

        assertThat(roundTrip(client, 7)).isEqualTo(7);
        assertThat(roundTrip(client, 8)).isEqualTo(8);
    }

    @Test
    void latencyDelaysEveryChunkAndEndsWhenSwitchedOff() throws IOException {
        Socket client = connect();
        proxy.latency(150, 200);

        long start = System.nanoTime();
        assertThat(roundTrip(client, 1)).isEqualTo(1);
        // Delayed on the way there and on the way back.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));

        proxy.noLatency();
        start = System.nanoTime();
        assertThat(roundTrip(client, 2)).isEqualTo(2);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(150));
    }

    @Test
    void dropClosesEveryOpenConnectionAndNewOnesWork() throws IOException {
        Socket first = connect();
        Socket second = connect();
        assertThat(roundTrip(first, 1)).isEqualTo(1);
        assertThat(roundTrip(second, 1)).isEqualTo(1);

        assertThat(proxy.dropAll()).isEqualTo(2);

        assertThat(first.getInputStream().read()).as("end of stream").isEqualTo(-1);
        assertThat(second.getInputStream().read()).as("end of stream").isEqualTo(-1);
        assertThat(roundTrip(connect(), 3)).isEqualTo(3);
    }

    @Test
    void halfOpenConnectionsStayOpenButLoseEveryByteUntilClosed() throws IOException {
        Socket stale = connect();
        assertThat(roundTrip(stale, 1)).isEqualTo(1);

        assertThat(proxy.halfOpen()).isEqualTo(1);

        assertThatThrownBy(() -> roundTrip(stale, 2)).as("no answer, no error: the bytes vanish")
                .isInstanceOf(SocketTimeoutException.class);
        assertThat(stale.isClosed()).isFalse();
        assertThat(roundTrip(connect(), 3)).as("a new connection works").isEqualTo(3);

        assertThat(proxy.closeHalfOpen()).isEqualTo(1);
        assertThat(stale.getInputStream().read()).as("end of stream").isEqualTo(-1);
    }

    @Test
    void partitionLosesTheBytesOfOpenAndNewConnectionsUntilHealed() throws IOException {
        Socket before = connect();
        assertThat(roundTrip(before, 1)).isEqualTo(1);

        proxy.partition();

        assertThatThrownBy(() -> roundTrip(before, 2)).isInstanceOf(SocketTimeoutException.class);
        Socket during = connect();
        assertThatThrownBy(() -> roundTrip(during, 3)).isInstanceOf(SocketTimeoutException.class);

        assertThat(proxy.heal()).as("the connections that lost bytes are closed").isEqualTo(2);

        assertThat(before.getInputStream().read()).isEqualTo(-1);
        assertThat(during.getInputStream().read()).isEqualTo(-1);
        assertThat(roundTrip(connect(), 4)).as("after healing, a new connection works").isEqualTo(4);
    }

    @Test
    void closingTheProxyEndsItsConnections() throws IOException {
        Socket client = connect();
        assertThat(roundTrip(client, 1)).isEqualTo(1);

        proxy.close();

        assertThat(client.getInputStream().read()).isEqualTo(-1);
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.connections() == 0);
    }
}
