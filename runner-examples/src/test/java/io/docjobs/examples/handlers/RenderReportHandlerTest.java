package io.docjobs.examples.handlers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.docjobs.NonRetryableException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RenderReportHandlerTest {
    private final RenderReportHandler handler = new RenderReportHandler();

    @Test
    void rendersAllPages() throws Exception {
        handler.handle(FakeJobContext.of("job-1", RenderReportHandler.TYPE, "{\"pages\": 3, \"msPerPage\": 1}"));

        assertThat(handler.renderedCount()).isEqualTo(1);
    }

    @Test
    void stopsAtTheNextPageOnceCancelled() {
        AtomicInteger checks = new AtomicInteger();
        // 1,000 pages of 10 ms: ten seconds if cancellation were ignored; cancelled at the third check
        FakeJobContext job = FakeJobContext.of("job-1", RenderReportHandler.TYPE, "{\"pages\": 1000, \"msPerPage\": 10}")
                .cancelledWhen(() -> checks.incrementAndGet() > 2);

        assertThatThrownBy(() -> handler.handle(job))
                .isInstanceOf(CancellationException.class)
                .hasMessageContaining("after 2 of 1000 pages");
        assertThat(checks).hasValue(3);
        assertThat(handler.renderedCount()).isZero();
    }

    @Test
    void stopsWithinThePageWhenInterrupted() throws InterruptedException {
        CountDownLatch working = new CountDownLatch(1);
        // one page takes a minute: only the interrupt can end it within the test
        FakeJobContext job = FakeJobContext.of("job-1", RenderReportHandler.TYPE, "{\"pages\": 10, \"msPerPage\": 60000}")
                .cancelledWhen(() -> {
                    working.countDown();
                    return false;
                });
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            try {
                handler.handle(job);
            } catch (Throwable t) {
                thrown.set(t);
            }
        }, "render-test-worker");
        worker.setDaemon(true); // a broken handler must not keep the test JVM alive
        worker.start();

        assertThat(working.await(10, TimeUnit.SECONDS)).as("handler started").isTrue();
        worker.interrupt();
        worker.join(TimeUnit.SECONDS.toMillis(10));

        assertThat(worker.isAlive()).as("handler still running 10 s after the interrupt").isFalse();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class).hasMessageContaining("page 1 of 10");
        assertThat(handler.renderedCount()).isZero();
    }

    @Test
    void missingPageCountIsNotRetryableAndNamesTheField() {
        FakeJobContext job = FakeJobContext.of("job-1", RenderReportHandler.TYPE, "{\"msPerPage\": 5}");

        assertThatThrownBy(() -> handler.handle(job))
                .isInstanceOf(NonRetryableException.class)
                .hasMessageContaining("\"pages\" was missing")
                .hasMessageContaining("from 1 to 100000");
    }
}
