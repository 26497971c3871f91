/**
 * The docjobs API: everything an application needs to enqueue jobs and run them.
 *
 * <p>Start with {@link io.docjobs.JobQueue#connect} for the queue (or only the role a part of the
 * application needs: {@link io.docjobs.JobProducer}, {@link io.docjobs.JobConsumer},
 * {@link io.docjobs.JobAdmin}) and {@link io.docjobs.Supervisor#builder} to run
 * {@link io.docjobs.JobHandler}s; settings are {@link io.docjobs.QueueConfig},
 * {@link io.docjobs.SupervisorConfig} and {@link io.docjobs.HandlerOptions}.
 *
 * <p>Nullness: nothing is null unless marked {@code @Nullable}. Errors: a bad argument (null where
 * none is allowed, a value out of range) is an {@link java.lang.IllegalArgumentException} naming
 * the argument, its value and the rule; invalid settings are one
 * {@link io.docjobs.ConfigurationException} listing every problem; failures of the database are
 * {@link io.docjobs.DocJobsException}s. Expected outcomes (a lost lease, a duplicate, an entry not
 * dead) are return values, never exceptions.
 */
@NullMarked
package io.docjobs;

import org.jspecify.annotations.NullMarked;
