/**
 * Helpers for the tests of applications that use docjobs: a {@link io.docjobs.testing.ManualClock}
 * to step through lease expiry without waiting, and {@link io.docjobs.testing.TestLeases} to build
 * a {@link io.docjobs.Lease} without a queue. Exported by the module, but not for production code.
 */
@NullMarked
package io.docjobs.testing;

import org.jspecify.annotations.NullMarked;
