package io.docjobs.internal;

import io.docjobs.HandlerOptions;
import io.docjobs.JobHandler;

/** A handler registered for one type, with its options. Internal. */
record Registration(String type, JobHandler handler, HandlerOptions options) {
}
