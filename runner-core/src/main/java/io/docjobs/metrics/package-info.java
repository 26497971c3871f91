/**
 * Queue-depth gauges as a Micrometer {@code MeterBinder}: {@link io.docjobs.metrics.QueueMetrics},
 * for any registry, with or without a supervisor. Part of the API and exported by the module.
 */
@NullMarked
package io.docjobs.metrics;

import org.jspecify.annotations.NullMarked;
