package io.docjobs.internal;

import io.docjobs.Lease;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.ReceiverContext;

/**
 * The observation context of one handler run: a consumer whose carrier is the lease, so a
 * propagating tracing handler (Micrometer Tracing with the OpenTelemetry or Brave bridge) reads the
 * producer's W3C {@code traceparent} from the entry and makes the handler's span its child.
 */
final class JobObservationContext extends ReceiverContext<Lease> {
    static final String NAME = "docjobs.job";
    static final String TRACEPARENT = "traceparent";

    JobObservationContext(Lease lease, String queue) {
        super((carrier, key) -> TRACEPARENT.equals(key) ? carrier.traceparent() : null, Kind.CONSUMER);
        setCarrier(lease);
        setRemoteServiceName("docjobs");
        setContextualName(lease.type() + " process");
        addLowCardinalityKeyValue(KeyValue.of("docjobs.type", lease.type()));
        addLowCardinalityKeyValue(KeyValue.of("docjobs.queue", queue));
        addLowCardinalityKeyValue(KeyValue.of("messaging.system", "docjobs"));
        addHighCardinalityKeyValue(KeyValue.of("docjobs.job.id", lease.id()));
        addHighCardinalityKeyValue(KeyValue.of("docjobs.attempt", String.valueOf(lease.attempt())));
    }
}
