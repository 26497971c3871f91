/**
 * Internal, not exported by the module: the supervisor's machinery (pollers, worker pool, lease
 * keeper, outcomes, metrics), steppable by hand in tests. Its one public type,
 * {@link io.docjobs.internal.Engine}, is there only for {@link io.docjobs.Supervisor}.
 */
@NullMarked
package io.docjobs.internal;

import org.jspecify.annotations.NullMarked;
