package io.docjobs;

/**
 * Makes a handler discoverable by the docjobs daemon through {@link java.util.ServiceLoader}: list
 * the implementing class in {@code META-INF/services/io.docjobs.JobHandlerProvider} of your jar and
 * drop the jar into the daemon's handler directory. Implementations need a public no-argument
 * constructor.
 */
public interface JobHandlerProvider {

    /** {@return the job type the handler serves} */
    String type();

    /** {@return the handler; called once, when the daemon starts} */
    JobHandler handler();

    /**
     * {@return the options for the type, by default {@link HandlerOptions#DEFAULTS}; the daemon's configuration
     * may override them}
     */
    default HandlerOptions options() {
        return HandlerOptions.DEFAULTS;
    }
}
