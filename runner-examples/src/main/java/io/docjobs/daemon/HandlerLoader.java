package io.docjobs.daemon;

import io.docjobs.Backoff;
import io.docjobs.ConfigurationException;
import io.docjobs.HandlerOptions;
import io.docjobs.JobHandler;
import io.docjobs.JobHandlerProvider;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the handlers the operator deployed: classes named in the configuration
 * ({@code handlers.<type>.class}, a {@link JobHandler} or a {@link JobHandlerProvider}), and
 * providers discovered with {@link ServiceLoader} in the jars of the handler directory. Providers
 * anywhere else on the classpath, such as the example handlers inside docjobs.jar, are never
 * discovered: they run only when the configuration names them. Configured options override a
 * provider's own.
 */
final class HandlerLoader {
    private static final Logger log = LoggerFactory.getLogger(HandlerLoader.class);

    /** A handler ready to register, and where it came from (for the start-up log). */
    record Loaded(String type, JobHandler handler, HandlerOptions options, String origin) {
    }

    private HandlerLoader() {
    }

    static Map<String, Loaded> load(DaemonConfig config, ClassLoader parent) {
        List<String> problems = new ArrayList<>();
        List<Path> jars = jars(config.handlerDirectory(), problems);
        ClassLoader loader = jars.isEmpty() ? parent : new URLClassLoader(urls(jars), parent);
        String where = config.source();

        Map<String, Loaded> discovered = new LinkedHashMap<>();
        if (config.discoverHandlers() && !jars.isEmpty()) {
            try {
                for (ServiceLoader.Provider<JobHandlerProvider> found
                        : ServiceLoader.load(JobHandlerProvider.class, loader).stream().toList()) {
                    if (found.type().getClassLoader() != loader) {
                        // Listed by a jar, but defined on the daemon's own classpath: not deployed here.
                        log.info("not discovering handler provider {}: it is not in the handler directory {} (name it"
                                + " in handlers.<type>.class to use it)", found.type().getName(), config.handlerDirectory());
                        continue;
                    }
                    JobHandlerProvider provider = found.get();
                    String origin = "provider " + provider.getClass().getName() + " in " + jarOf(provider.getClass());
                    Loaded previous = discovered.putIfAbsent(provider.type(),
                            new Loaded(provider.type(), provider.handler(), provider.options(), origin));
                    if (previous != null && !config.handlers().containsKey(provider.type())) {
                        problems.add("two handler providers serve type \"" + provider.type() + "\": "
                                + previous.origin() + " and " + origin + "; remove one, or choose with handlers."
                                + provider.type() + ".class in " + where);
                    }
                }
            } catch (ServiceConfigurationError e) {
                // The cause says why (e.g. the exception a provider's constructor threw); without it
                // the operator only learns which class failed.
                problems.add("a handler provider could not be loaded: " + e.getMessage()
                        + (e.getCause() == null ? "" : ": " + e.getCause()));
            }
        }

        Map<String, Loaded> result = new LinkedHashMap<>(discovered);
        List<DaemonConfig.Handler> configured = new ArrayList<>(config.handlers().values());
        configured.addAll(environmentSettings(config, discovered.keySet(), problems));
        for (DaemonConfig.Handler settings : configured) {
            String key = where + ": handlers." + settings.type();
            Loaded base = settings.className() == null ? discovered.get(settings.type())
                    : instantiate(settings.type(), settings.className(), loader, key, jars, problems);
            if (base == null) {
                if (settings.className() == null) {
                    problems.add(key + " has no \"class\" and no JobHandlerProvider for type \"" + settings.type()
                            + "\" was found; set handlers." + settings.type() + ".class to a JobHandler class");
                }
                continue;
            }
            HandlerOptions options = override(base.options(), settings, loader, key, problems);
            if (options != null) {
                result.put(settings.type(), new Loaded(settings.type(), base.handler(), options, base.origin()));
            }
        }
        if (result.isEmpty() && problems.isEmpty()) {
            problems.add("no handlers to run. Deploy one: put a jar holding your JobHandler and a JobHandlerProvider"
                    + " listed in META-INF/services/io.docjobs.JobHandlerProvider into "
                    + (config.handlerDirectory() == null ? "a handler directory (set handlerDirectory)"
                    : "the handler directory " + config.handlerDirectory().toAbsolutePath()
                    + (config.discoverHandlers() ? "" : " and set discoverHandlers: true"))
                    + ", or name a JobHandler or JobHandlerProvider class in handlers.<type>.class in " + where
                    + ". To try docjobs with the example handlers, run `docjobs demo` or"
                    + " `docjobs run --config config/docjobs-trial.yaml`");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(where, problems);
        }
        return result;
    }

    /**
     * The per-type settings from the environment for discovered types the file does not name. A
     * variable that names no type here, or two, is a problem.
     */
    private static List<DaemonConfig.Handler> environmentSettings(DaemonConfig config, Set<String> discovered,
            List<String> problems) {
        List<DaemonConfig.Handler> settings = new ArrayList<>();
        config.environmentHandlers().forEach((variable, override) -> {
            List<String> types = discovered.stream().filter(type -> !config.handlers().containsKey(type)
                    && ConfigLoader.typeVariable(type).equals(variable)).toList();
            if (types.size() == 1) {
                String type = types.get(0);
                settings.add(ConfigLoader.merge(type, override,
                        new DaemonConfig.Handler(type, null, null, null, null, null, null, null, List.of())));
            } else if (types.isEmpty()) {
                Set<String> known = new java.util.TreeSet<>(config.handlers().keySet());
                known.addAll(discovered);
                problems.add("environment variables DOCJOBS_HANDLERS_" + variable + "_* set options of a type no handler"
                        + " here serves; the types here are " + (known.isEmpty() ? "none" : known.stream()
                        .map(type -> type + " (DOCJOBS_HANDLERS_" + ConfigLoader.typeVariable(type) + "_*)").toList())
                        + ". A type's name in these variables is upper case with every character other than a letter"
                        + " or digit replaced by _");
            } else {
                problems.add("environment variables DOCJOBS_HANDLERS_" + variable + "_* could mean any of the discovered"
                        + " types " + types + "; set these options in handlers.<type> of " + config.source() + " instead");
            }
        });
        return settings;
    }

    private static Loaded instantiate(String type, String className, ClassLoader loader, String key, List<Path> jars,
            List<String> problems) {
        Class<?> clazz;
        try {
            clazz = Class.forName(className, true, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            problems.add(key + ".class was \"" + className + "\" but no such class was found on the classpath"
                    + (jars.isEmpty() ? "" : " or in " + jars) + "; check the name and that its jar is in the handler directory");
            return null;
        }
        Object instance;
        try {
            instance = clazz.getConstructor().newInstance();
        } catch (NoSuchMethodException e) {
            problems.add(key + ".class " + className + " has no public no-argument constructor");
            return null;
        } catch (InvocationTargetException e) {
            problems.add(key + ".class " + className + " failed in its constructor: " + e.getCause());
            return null;
        } catch (ReflectiveOperationException e) {
            problems.add(key + ".class " + className + " cannot be created: " + e);
            return null;
        }
        if (instance instanceof JobHandlerProvider provider) {
            return new Loaded(type, provider.handler(), provider.options(), "provider " + className);
        }
        if (instance instanceof JobHandler handler) {
            return new Loaded(type, handler, HandlerOptions.DEFAULTS, "class " + className);
        }
        problems.add(key + ".class " + className + " is neither an io.docjobs.JobHandler nor an io.docjobs.JobHandlerProvider");
        return null;
    }

    private static HandlerOptions override(HandlerOptions base, DaemonConfig.Handler settings, ClassLoader loader,
            String key, List<String> problems) {
        Set<Class<? extends Throwable>> nonRetryable = new LinkedHashSet<>(base.nonRetryable());
        for (String name : settings.nonRetryable()) {
            try {
                Class<?> clazz = Class.forName(name, false, loader);
                if (!Throwable.class.isAssignableFrom(clazz)) {
                    problems.add(key + ".nonRetryable: " + name + " is not an exception class");
                } else {
                    nonRetryable.add(clazz.asSubclass(Throwable.class));
                }
            } catch (ClassNotFoundException e) {
                problems.add(key + ".nonRetryable: exception class \"" + name + "\" was not found");
            }
        }
        try {
            Backoff backoff = base.backoff();
            if (settings.backoffInitial() != null || settings.backoffMax() != null) {
                // Either key replaces the provider's backoff with the library's exponential one; the
                // library supplies whatever of it the file leaves out, and checks the pair.
                Backoff.ExponentialBuilder exponential = Backoff.exponential();
                if (settings.backoffInitial() != null) {
                    exponential.initial(settings.backoffInitial());
                }
                if (settings.backoffMax() != null) {
                    exponential.max(settings.backoffMax());
                }
                backoff = exponential.build();
            }
            return new HandlerOptions(
                    settings.concurrency() != null ? settings.concurrency() : base.concurrency(),
                    settings.leaseExtension() != null ? settings.leaseExtension() : base.leaseExtension(),
                    settings.maxAttempts() != null ? settings.maxAttempts() : base.maxAttempts(),
                    backoff,
                    settings.timeout() != null ? settings.timeout() : base.timeout(),
                    nonRetryable);
        } catch (ConfigurationException e) {
            e.problems().forEach(problem -> problems.add(key + ": " + problem));
            return null;
        }
    }

    /** The jar a class was loaded from, for the start-up log. */
    private static String jarOf(Class<?> clazz) {
        var source = clazz.getProtectionDomain().getCodeSource();
        return source == null || source.getLocation() == null ? "an unknown jar" : source.getLocation().getPath();
    }

    private static List<Path> jars(Path directory, List<String> problems) {
        if (directory == null || !Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            problems.add("handler directory " + directory.toAbsolutePath() + " cannot be read: " + e);
            return List.of();
        }
    }

    private static URL[] urls(List<Path> jars) {
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = jars.get(i).toUri().toURL();
            } catch (MalformedURLException e) {
                throw new IllegalStateException(e);
            }
        }
        return urls;
    }
}
