package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.docjobs.JobConsumer;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.QueueConfig;
import io.docjobs.Supervisor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * A worker thread that sends the group commit of completions logs meanwhile without the job
 * context (MDC, logback) of the job whose completion made it the sender: the batch holds other
 * jobs' completions too, and what it logs (an answer that could not be recorded, a lease lost at
 * completion) names the job it is about.
 */
class CompletionLogContextTest {
    @Test
    void theGroupCommitIsSentWithoutTheSendingWorkersJobInTheLogContext() {
        List<String> jobIdWhileSending = new CopyOnWriteArrayList<>();
        List<String> handlerJobIds = new CopyOnWriteArrayList<>();
        try (EmbeddedDatabase database = EmbeddedDatabase.start(null, 0);
                JobQueue queue = JobQueue.connect(QueueConfig.builder().connectionString(database.connectionString())
                        .changeStreams(false).build())) {
            JobConsumer watched = (JobConsumer) Proxy.newProxyInstance(JobConsumer.class.getClassLoader(),
                    new Class<?>[] {JobConsumer.class}, (proxy, method, args) -> {
                        if (method.getName().equals("doneAll")) {
                            jobIdWhileSending.add(String.valueOf(MDC.get("jobId")));
                        }
                        try {
                            return method.invoke(queue, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            String id = queue.enqueue(JobRequest.builder("email").payload("x").build()).id();
            try (Supervisor supervisor = Supervisor.builder(watched).idleBackoff(Duration.ofMillis(10), Duration.ofMillis(50))
                    .handle("email", job -> handlerJobIds.add(MDC.get("jobId"))).build()) {
                supervisor.start();

                await().atMost(Duration.ofSeconds(10)).until(() -> queue.get(id).isEmpty());
            }
            assertThat(handlerJobIds).as("the handler runs in its job's context").containsExactly(id);
            assertThat(jobIdWhileSending).as("sent by the worker that ran it, outside its context").containsExactly("null");
        }
    }
}
