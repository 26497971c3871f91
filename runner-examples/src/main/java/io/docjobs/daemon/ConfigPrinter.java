package io.docjobs.daemon;

import io.docjobs.QueueConfig;

/** Renders the effective configuration for the start-up log, with credentials masked. */
final class ConfigPrinter {
    private ConfigPrinter() {
    }

    static String describe(DaemonConfig config) {
        DaemonConfig.Database db = config.database();
        DaemonConfig.SupervisorSettings s = config.supervisor();
        return "database=" + (db.embedded() ? "embedded on 127.0.0.1:" + config.embedded().port()
                + (config.embedded().dataFile() == null ? " (in memory)" : " (file " + config.embedded().dataFile() + ")")
                : QueueConfig.maskPassword(db.connectionString())) + " " + db.name() + "." + db.collection()
                + (db.caFile() == null ? "" : " caFile=" + db.caFile()) + " operationTimeout=" + db.operationTimeout()
                + ", supervisor " + s.name() + ": workers=" + s.workers() + " pollers=" + s.pollers()
                + " maxBatch=" + s.maxBatch() + " prefetch=" + s.prefetch() + " idleBackoff=" + s.idleBackoffMin() + ".." + s.idleBackoffMax()
                + " drainTimeout=" + s.drainTimeout() + " registryInterval=" + s.registryInterval() + ", handlers configured=" + config.handlers().keySet()
                + " directory=" + config.handlerDirectory() + " discover=" + config.discoverHandlers()
                + ", http=" + (config.http().enabled() ? config.http().host() + ":" + config.http().port() : "off")
                + ", console=" + (config.http().enabled() && config.console().enabled()
                        ? "on (write actions " + (config.console().writesEnabled() ? "enabled by a token" : "off: no token") + ")"
                        : "off");
    }
}
