package io.docjobs;

import static org.awaitility.Awaitility.await;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Entries enqueued by another process wake an idle supervisor through a change stream, where the server has them. */
class ChangeStreamWakeUpTest {

    @Test
    void insertByAnotherClientWakesAnIdleSupervisor() {
        MongoServer server = new MongoServer(new MemoryBackend());
        server.enableOplog();
        InetSocketAddress address = server.bind();
        String uri = "mongodb://" + address.getHostString() + ":" + address.getPort();
        try (MongoClient workerClient = MongoClients.create(uri);
                MongoClient producerClient = MongoClients.create(uri);
                JobQueue workerQueue = JobQueue.using(workerClient, QueueConfig.builder().build());
                JobQueue producerQueue = JobQueue.using(producerClient, QueueConfig.builder().build())) {
            AtomicInteger handled = new AtomicInteger();
            // Back-off of 30 s: only the change stream can make this prompt.
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (Supervisor supervisor = Supervisor.builder(workerQueue).meterRegistry(registry)
                    .idleBackoff(Duration.ofSeconds(30), Duration.ofSeconds(30))
                    .handle("email", job -> handled.incrementAndGet()).build().start()) {
                // The poller has found the queue empty and gone to sleep for 15-30 s.
                await().atMost(Duration.ofSeconds(5)).until(() ->
                        registry.find("docjobs.polls").tag("result", "empty").counter() != null
                                && registry.find("docjobs.polls").tag("result", "empty").counter().count() >= 1);

                producerQueue.enqueue("email", "from elsewhere", Duration.ofSeconds(30));

                await().atMost(Duration.ofSeconds(10)).until(() -> handled.get() == 1);
            }
        } finally {
            server.shutdownNow();
        }
    }
}
