package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With the OpenTelemetry bridge of Micrometer Tracing on the classpath, a handler runs in a
 * consumer span that is a child of the producer's span, whose W3C trace context travelled in the
 * entry. (The trace id in the MDC is checked with logback in runner-examples: slf4j-simple, this
 * module's test logger, keeps no MDC.)
 */
class TracingTest {
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    private final Tracer otelTracer = provider.get("test");
    private final ObservationRegistry observations = ObservationRegistry.create();
    private final Map<String, String> seen = new ConcurrentHashMap<>();
    @RegisterExtension
    final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();
    private JobQueue queue;
    private Supervisor supervisor;

    @BeforeEach
    void start() {
        OtelCurrentTraceContext context = new OtelCurrentTraceContext();
        OtelTracer tracer = new OtelTracer(otelTracer, context, event -> { },
                new OtelBaggageManager(context, List.of(), List.of()));
        OtelPropagator propagator = new OtelPropagator(ContextPropagators.create(W3CTraceContextPropagator.getInstance()),
                otelTracer);
        observations.observationConfig().observationHandler(new PropagatingReceiverTracingObservationHandler<>(tracer, propagator));
        queue = JobQueue.using(mongo.client(), QueueConfig.builder()
                .collection("jobs_" + UUID.randomUUID().toString().replace("-", ""))
                // Producers without an explicit trace context take the span in scope.
                .traceparent(() -> traceparent(Span.current().getSpanContext()))
                .build());
        supervisor = Supervisor.builder(queue).observationRegistry(observations)
                .idleBackoff(Duration.ofMillis(10), Duration.ofMillis(50))
                .handle("email", job -> {
                    seen.put(job.payload() + ".span", Span.current().getSpanContext().getTraceId());
                    seen.put(job.payload() + ".context", String.valueOf(job.traceparent()));
                })
                .build();
    }

    @AfterEach
    void stop() {
        supervisor.close();
        queue.close();
    }

    private static String traceparent(SpanContext span) {
        return span.isValid() ? "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex() : null;
    }

    private SpanData consumerSpan() {
        return await().atMost(Duration.ofSeconds(10)).until(() -> exporter.getFinishedSpanItems().stream()
                .filter(span -> span.getKind() == SpanKind.CONSUMER).findFirst(), java.util.Optional::isPresent).orElseThrow();
    }

    @Test
    void theHandlerSpanIsAChildOfTheProducerSpan() {
        Span producer = otelTracer.spanBuilder("checkout").startSpan();
        SpanContext produced = producer.getSpanContext();
        queue.enqueue(JobRequest.builder("email").payload("a").traceparent(traceparent(produced)).build());
        producer.end();

        supervisor.start();
        SpanData consumer = consumerSpan();

        assertThat(consumer.getName()).isEqualTo("email process");
        assertThat(consumer.getTraceId()).isEqualTo(produced.getTraceId());
        assertThat(consumer.getParentSpanId()).isEqualTo(produced.getSpanId());
        assertThat(consumer.getAttributes().asMap().toString()).contains("docjobs.type=email");
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.containsKey("a.context"));
        assertThat(seen).containsEntry("a.span", produced.getTraceId())
                .containsEntry("a.context", traceparent(produced));
    }

    @Test
    void aProducerWithoutAnExplicitContextPassesTheSpanInScope() {
        Span producer = otelTracer.spanBuilder("signup").startSpan();
        try (Scope scope = producer.makeCurrent()) {
            queue.enqueue("email", "b", Duration.ofSeconds(30));
        } finally {
            producer.end();
        }

        supervisor.start();
        SpanData consumer = consumerSpan();

        assertThat(consumer.getTraceId()).isEqualTo(producer.getSpanContext().getTraceId());
        assertThat(consumer.getParentSpanId()).isEqualTo(producer.getSpanContext().getSpanId());
    }

    @Test
    void aJobWithoutTraceContextStartsItsOwnTrace() {
        queue.enqueue("email", "c", Duration.ofSeconds(30));

        supervisor.start();
        SpanData consumer = consumerSpan();

        assertThat(consumer.getParentSpanContext().isValid()).isFalse();
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.containsKey("c.context"));
        assertThat(seen).containsEntry("c.context", "null");
    }

    @Test
    void anInvalidTraceparentIsRefusedAtEnqueue() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> JobRequest.builder("email").payload("x")
                .traceparent("00-not-a-trace").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("traceparent was \"00-not-a-trace\"");
    }
}
