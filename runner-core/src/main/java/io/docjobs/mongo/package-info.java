/**
 * Internal, not exported by the module: the {@link io.docjobs.JobQueue} on a MongoDB / DocumentDB
 * collection, a facade over one package-private part per concern (connection and handshake,
 * enqueue, claim, lease writes, admin reads and writes, indexes), with the entry's fields named
 * in one mapper. Its one public type, {@link io.docjobs.mongo.MongoQueues}, is there only for
 * {@link io.docjobs.JobQueue}'s factories.
 */
@NullMarked
package io.docjobs.mongo;

import org.jspecify.annotations.NullMarked;
