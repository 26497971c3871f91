/**
 * docjobs: a durable job queue with fenced leases on MongoDB or Amazon DocumentDB, and a
 * supervisor that runs handlers for its jobs.
 *
 * <p>Exported: {@code io.docjobs} (the API), {@code io.docjobs.metrics} (the queue-depth
 * {@code MeterBinder}, part of the API) and {@code io.docjobs.testing} (a manual clock and a lease
 * builder for the tests of applications). The implementation packages, {@code io.docjobs.mongo}
 * and {@code io.docjobs.internal}, are not exported: they change without notice.
 */
// The MongoDB driver, Micrometer and resilience4j ship automatic modules (a name in the manifest,
// no module-info), the best they offer: the warnings about depending on them say nothing new.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.docjobs {
    exports io.docjobs;
    exports io.docjobs.metrics;
    exports io.docjobs.testing;

    // Transitive where the API's signatures name their types: MongoClient, Document, MeterRegistry,
    // ObservationRegistry.
    requires transitive org.mongodb.driver.sync.client;
    requires transitive org.mongodb.driver.core;
    requires transitive org.mongodb.bson;
    requires transitive micrometer.core;
    requires transitive micrometer.observation;
    requires micrometer.commons;
    requires io.github.resilience4j.retry;
    // Cron expressions of schedules; its types stay out of the API's signatures.
    requires com.cronutils;
    requires io.github.resilience4j.core;
    requires org.slf4j;
    requires java.management;
    // Annotations only, so optional at run time; transitive because the API's signatures carry them.
    requires static transitive org.jspecify;
}
