package io.docjobs.daemon;

import io.docjobs.Backoff;
import io.docjobs.ConfigurationException;
import io.docjobs.HandlerOptions;
import io.docjobs.JobRequest;
import io.docjobs.QueueConfig;
import io.docjobs.SupervisorConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads the daemon configuration: a YAML file, then environment overrides, then validation that
 * reports every problem at once with the file (or variable), the key, the value and what is
 * expected. Every key is optional; {@link #KEYS} holds the defaults, taken from the library's
 * ({@link QueueConfig}, {@link SupervisorConfig}, {@link HandlerOptions}, {@link Backoff}), as are
 * the bounds each value is checked against; rules that span keys are the library builders' own. An environment variable
 * overrides each key: {@code DOCJOBS_} + the key path in upper snake case, e.g.
 * {@code supervisor.workers} → {@code DOCJOBS_SUPERVISOR_WORKERS}; or {@code <VAR>_FILE} names a
 * file holding the value (the container-platform convention for secrets). Any other
 * {@code DOCJOBS_} variable is an error, as an unknown key is, except those of other docjobs
 * programs ({@link #OTHER_PROGRAMS}), which are ignored with a warning.
 */
public final class ConfigLoader {
    private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final String ENV_PREFIX = "DOCJOBS_";
    private static final String FILE_SUFFIX = "_FILE";
    private static final String HANDLERS_PREFIX = "DOCJOBS_HANDLERS_";

    /** The most attempts the file accepts; the library has no upper bound of its own. */
    private static final int MAX_ATTEMPTS = 1000;

    /** {@code DOCJOBS_} variables that other docjobs programs read, with who reads them; not daemon settings. */
    static final Map<String, String> OTHER_PROGRAMS = Map.of(
            "DOCJOBS_TEST_MONGODB_URI", "the test suite",
            "DOCJOBS_MONGODB_URI", "the examples QueueDemo and EmbeddedLibraryExample");

    /** The kind of value a key holds, with its parser and rule. */
    enum Kind { STRING, PATH, DURATION, POSITIVE_DURATION, INT, BOOL }

    /** One configuration key: its path, kind, default, and its range (integers) or maximum (durations). */
    record Key(String path, Kind kind, Object defaultValue, long min, long max, Duration maxDuration) {
        Key {
            if ((kind == Kind.DURATION || kind == Kind.POSITIVE_DURATION) != (maxDuration != null)) {
                throw new IllegalArgumentException(path + ": a duration key needs a maximum, other keys none");
            }
        }

        /** A key that is not a duration. */
        Key(String path, Kind kind, Object defaultValue, long min, long max) {
            this(path, kind, defaultValue, min, max, null);
        }

        /** A duration key; every one has a maximum. */
        Key(String path, Kind kind, Duration defaultValue, Duration maxDuration) {
            this(path, kind, defaultValue, 0, 0, maxDuration);
        }

        String envName() {
            return "DOCJOBS_" + path.replaceAll("([a-z])([A-Z])", "$1_$2").replace('.', '_').toUpperCase(java.util.Locale.ROOT);
        }
    }

    /** Every key the daemon knows, with its default; {@code config/docjobs.yaml} documents each. */
    public static final List<Key> KEYS = List.of(
            new Key("database.connectionString", Kind.STRING, "", 0, 0),
            new Key("database.embedded", Kind.BOOL, Boolean.FALSE, 0, 0),
            new Key("database.name", Kind.STRING, QueueConfig.DEFAULT_DATABASE, 0, 0),
            new Key("database.collection", Kind.STRING, QueueConfig.DEFAULT_COLLECTION, 0, 0),
            new Key("database.caFile", Kind.PATH, "", 0, 0),
            new Key("database.operationTimeout", Kind.POSITIVE_DURATION, QueueConfig.DEFAULT_OPERATION_TIMEOUT,
                    QueueConfig.MAX_OPERATION_TIMEOUT),
            new Key("database.changeStreams", Kind.BOOL, Boolean.TRUE, 0, 0),
            new Key("embedded.port", Kind.INT, 27117L, 0, 65535),
            new Key("embedded.dataFile", Kind.PATH, "data/docjobs.h2", 0, 0),
            new Key("queue.defaultVisibilityTimeout", Kind.POSITIVE_DURATION, QueueConfig.DEFAULT_VISIBILITY_TIMEOUT,
                    JobRequest.MAX_VISIBILITY_TIMEOUT),
            // The library has no upper bound on attempts; a thousand is the file's sanity limit.
            new Key("queue.defaultMaxAttempts", Kind.INT, (long) QueueConfig.DEFAULT_MAX_ATTEMPTS, 1, MAX_ATTEMPTS),
            new Key("supervisor.name", Kind.STRING, SupervisorConfig.DEFAULT_NAME, 0, 0),
            new Key("supervisor.workers", Kind.INT, (long) SupervisorConfig.DEFAULT_WORKERS, 1, SupervisorConfig.MAX_WORKERS),
            new Key("supervisor.pollers", Kind.INT, (long) SupervisorConfig.DEFAULT_POLLERS, 1, SupervisorConfig.MAX_POLLERS),
            new Key("supervisor.maxBatch", Kind.INT, (long) SupervisorConfig.DEFAULT_MAX_BATCH, 1, SupervisorConfig.MAX_BATCH),
            new Key("supervisor.prefetch", Kind.INT, (long) SupervisorConfig.DEFAULT_PREFETCH, 0, SupervisorConfig.MAX_PREFETCH),
            new Key("supervisor.idleBackoffMin", Kind.POSITIVE_DURATION, SupervisorConfig.DEFAULT_IDLE_MIN,
                    SupervisorConfig.MAX_IDLE_BACKOFF),
            new Key("supervisor.idleBackoffMax", Kind.POSITIVE_DURATION, SupervisorConfig.DEFAULT_IDLE_MAX,
                    SupervisorConfig.MAX_IDLE_BACKOFF),
            new Key("supervisor.drainTimeout", Kind.DURATION, SupervisorConfig.DEFAULT_DRAIN_TIMEOUT,
                    SupervisorConfig.MAX_DRAIN_TIMEOUT),
            new Key("supervisor.depthRefresh", Kind.DURATION, SupervisorConfig.DEFAULT_DEPTH_REFRESH,
                    SupervisorConfig.MAX_DEPTH_REFRESH),
            new Key("supervisor.registryInterval", Kind.DURATION, SupervisorConfig.DEFAULT_REGISTRY_INTERVAL,
                    SupervisorConfig.MAX_REGISTRY_INTERVAL),
            new Key("handlerDirectory", Kind.PATH, "handlers", 0, 0),
            new Key("discoverHandlers", Kind.BOOL, Boolean.TRUE, 0, 0),
            new Key("http.enabled", Kind.BOOL, Boolean.TRUE, 0, 0),
            new Key("http.host", Kind.STRING, "127.0.0.1", 0, 0),
            new Key("http.port", Kind.INT, 9464L, 0, 65535),
            new Key("console.enabled", Kind.BOOL, Boolean.TRUE, 0, 0),
            new Key("console.token", Kind.STRING, "", 0, 0));

    /** The shortest console token accepted: a short one could be guessed. */
    static final int MIN_CONSOLE_TOKEN = 16;

    /** The keys of each {@code handlers.<type>} section, by name; none has a default here. */
    private static final Map<String, Key> HANDLER_KEYS = List.of(
            new Key("class", Kind.STRING, null, 0, 0),
            new Key("concurrency", Kind.INT, null, 0, SupervisorConfig.MAX_WORKERS),
            new Key("timeout", Kind.POSITIVE_DURATION, null, HandlerOptions.MAX_TIMEOUT),
            new Key("maxAttempts", Kind.INT, null, 1, MAX_ATTEMPTS),
            new Key("leaseExtension", Kind.POSITIVE_DURATION, null, JobRequest.MAX_VISIBILITY_TIMEOUT),
            new Key("backoffInitial", Kind.POSITIVE_DURATION, null, Backoff.MAX_DELAY),
            new Key("backoffMax", Kind.POSITIVE_DURATION, null, Backoff.MAX_DELAY),
            new Key("nonRetryable", Kind.STRING, null, 0, 0))
            .stream().collect(Collectors.toMap(Key::path, key -> key, (a, b) -> a, LinkedHashMap::new));

    private final Map<String, String> environment;

    /** A loader reading overrides from {@code environment}, all of it (usually {@code System.getenv()}). */
    public ConfigLoader(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /**
     * Loads {@code file}; a missing file is an error only when {@code required} (the user named it).
     *
     * @throws ConfigException listing every problem
     */
    public DaemonConfig load(Path file, boolean required) {
        String source = file.toString();
        List<String> problems = new ArrayList<>();
        Map<String, Object> yaml = Map.of();
        if (Files.exists(file)) {
            yaml = readYaml(file, problems);
        } else if (required) {
            throw new ConfigException(source, List.of("the file does not exist; pass --config with the path of a"
                    + " docjobs.yaml (config/docjobs.yaml in the distribution documents every key)"));
        } else {
            source = "defaults (no " + file + ")";
        }
        Map<String, Object> flat = new LinkedHashMap<>();
        Map<String, Object> handlerSection = new LinkedHashMap<>();
        flatten("", yaml, flat, handlerSection, source, problems);

        Map<String, EnvValue> env = environment(handlerSection.keySet(), problems);
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> origins = new LinkedHashMap<>();
        for (Key key : KEYS) {
            Object raw = flat.remove(key.path());
            String origin = source + ": " + key.path();
            EnvValue override = env.get(key.envName());
            if (override != null) {
                raw = override.value();
                origin = override.origin();
            }
            origins.put(key.path(), raw == null ? "the default" : origin);
            values.put(key.path(), raw == null ? key.defaultValue() : parse(key, raw, origin, problems));
        }
        checkDatabaseChoice(values, origins, source, problems);
        checkConsoleToken(values, origins, problems);
        for (String unknown : flat.keySet()) {
            problems.add(source + ": unknown key \"" + unknown + "\"" + suggestion(unknown));
        }
        Map<String, DaemonConfig.Handler> handlers = handlers(handlerSection, source, problems);
        List<io.docjobs.Schedule> schedules = ScheduleSection.read(yaml.get(ScheduleSection.KEY), source, problems);
        Map<String, DaemonConfig.Handler> environmentHandlers = environmentHandlers(env, problems);
        applyToFileTypes(environmentHandlers, handlers, source, problems);

        Duration idleMin = (Duration) values.get("supervisor.idleBackoffMin");
        Duration idleMax = (Duration) values.get("supervisor.idleBackoffMax");
        if (LIBRARY_NAMES.values().stream().allMatch(key -> values.get(key) != null)) {
            checkWithLibrary(values, source, problems); // else a value did not parse, and that is reported
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(source, problems);
        }
        return new DaemonConfig(source,
                new DaemonConfig.Database(str(values, "database.connectionString"),
                        Boolean.TRUE.equals(values.get("database.embedded")), str(values, "database.name"),
                        str(values, "database.collection"), path(values, "database.caFile"),
                        (Duration) values.get("database.operationTimeout"), (Boolean) values.get("database.changeStreams")),
                new DaemonConfig.Embedded(integer(values, "embedded.port"), path(values, "embedded.dataFile")),
                new DaemonConfig.Queue((Duration) values.get("queue.defaultVisibilityTimeout"),
                        integer(values, "queue.defaultMaxAttempts")),
                new DaemonConfig.SupervisorSettings(str(values, "supervisor.name"), integer(values, "supervisor.workers"),
                        integer(values, "supervisor.pollers"), integer(values, "supervisor.maxBatch"),
                        integer(values, "supervisor.prefetch"), idleMin, idleMax,
                        (Duration) values.get("supervisor.drainTimeout"), (Duration) values.get("supervisor.depthRefresh"),
                        (Duration) values.get("supervisor.registryInterval")),
                handlers, environmentHandlers, schedules,
                path(values, "handlerDirectory"),
                (Boolean) values.get("discoverHandlers"),
                new DaemonConfig.Http((Boolean) values.get("http.enabled"), str(values, "http.host"),
                        integer(values, "http.port")),
                new DaemonConfig.Console((Boolean) values.get("console.enabled"), str(values, "console.token")));
    }

    /** A console token is empty (writes off) or long enough not to be guessed; its value is never echoed. */
    private static void checkConsoleToken(Map<String, Object> values, Map<String, String> origins, List<String> problems) {
        Object token = values.get("console.token");
        if (token instanceof String text && !text.isEmpty() && text.strip().length() < MIN_CONSOLE_TOKEN) {
            problems.add(origins.get("console.token") + " was " + text.strip().length() + " characters long but must be"
                    + " empty (write actions off) or at least " + MIN_CONSOLE_TOKEN + " characters: generate one, e.g."
                    + " openssl rand -hex 24");
        }
        if (token instanceof String text) {
            values.put("console.token", text.strip());
        }
    }

    /** The library's names of the settings the file's keys map onto, for its problems' messages. */
    private static final Map<String, String> LIBRARY_NAMES = Map.ofEntries(
            Map.entry("database", "database.name"), Map.entry("collection", "database.collection"),
            Map.entry("operationTimeout", "database.operationTimeout"),
            Map.entry("defaultVisibilityTimeout", "queue.defaultVisibilityTimeout"),
            Map.entry("defaultMaxAttempts", "queue.defaultMaxAttempts"),
            Map.entry("name", "supervisor.name"), Map.entry("workers", "supervisor.workers"),
            Map.entry("pollers", "supervisor.pollers"), Map.entry("maxBatch", "supervisor.maxBatch"),
            Map.entry("prefetch", "supervisor.prefetch"),
            Map.entry("idleBackoff min", "supervisor.idleBackoffMin"),
            Map.entry("idleBackoff max", "supervisor.idleBackoffMax"),
            Map.entry("drainTimeout", "supervisor.drainTimeout"), Map.entry("depthRefresh", "supervisor.depthRefresh"),
            Map.entry("registryInterval", "supervisor.registryInterval"));

    /**
     * Hands the parsed values to the library's own builders, which hold the rules that span keys
     * (idleBackoffMax at least idleBackoffMin) and the names the server accepts, so they are stated
     * once, there; each problem comes back under the file's key. Called once every value parsed, so
     * a value is never reported twice.
     */
    private static void checkWithLibrary(Map<String, Object> values, String source, List<String> problems) {
        List<String> found = new ArrayList<>();
        try {
            QueueConfig.builder().database(str(values, "database.name")).collection(str(values, "database.collection"))
                    .operationTimeout((Duration) values.get("database.operationTimeout"))
                    .defaultVisibilityTimeout((Duration) values.get("queue.defaultVisibilityTimeout"))
                    .defaultMaxAttempts(integer(values, "queue.defaultMaxAttempts")).build();
        } catch (ConfigurationException e) {
            found.addAll(e.problems());
        }
        try {
            supervisorConfig(values).build();
        } catch (ConfigurationException e) {
            found.addAll(e.problems());
        }
        for (String problem : found) {
            String setting = LIBRARY_NAMES.keySet().stream().filter(name -> problem.startsWith(name + " was "))
                    .max(java.util.Comparator.comparingInt(String::length)).orElse(null);
            problems.add(source + ": " + (setting == null ? problem
                    : LIBRARY_NAMES.get(setting) + problem.substring(setting.length())));
        }
    }

    /** The supervisor's settings among {@code values}, on the library's builder. */
    private static SupervisorConfig.Builder supervisorConfig(Map<String, Object> values) {
        return SupervisorConfig.builder().name(str(values, "supervisor.name"))
                .workers(integer(values, "supervisor.workers")).pollers(integer(values, "supervisor.pollers"))
                .maxBatch(integer(values, "supervisor.maxBatch")).prefetch(integer(values, "supervisor.prefetch"))
                .idleBackoff((Duration) values.get("supervisor.idleBackoffMin"),
                        (Duration) values.get("supervisor.idleBackoffMax"))
                .drainTimeout((Duration) values.get("supervisor.drainTimeout"))
                .depthRefresh((Duration) values.get("supervisor.depthRefresh"))
                .registryInterval((Duration) values.get("supervisor.registryInterval"));
    }

    /** A value from the environment, and where it came from (for messages). */
    private record EnvValue(String value, String origin) {
    }

    /**
     * The {@code DOCJOBS_} variables of the environment that set keys, by name, with the values of
     * {@code <VAR>_FILE} variables read from their files under {@code <VAR>}. Every other
     * {@code DOCJOBS_} variable is a problem naming the closest known one, or, if another docjobs
     * program reads it, a warning.
     */
    private Map<String, EnvValue> environment(Set<String> fileTypes, List<String> problems) {
        Set<String> keys = KEYS.stream().map(Key::envName).collect(Collectors.toCollection(TreeSet::new));
        java.util.function.Predicate<String> known = name -> keys.contains(name) || handlerVariable(name) != null;
        Map<String, EnvValue> resolved = new LinkedHashMap<>();
        for (String name : new TreeSet<>(environment.keySet())) {
            if (!name.startsWith(ENV_PREFIX)) {
                continue;
            }
            String base = name.endsWith(FILE_SUFFIX) ? name.substring(0, name.length() - FILE_SUFFIX.length()) : null;
            if (known.test(name)) {
                resolved.putIfAbsent(name, new EnvValue(environment.get(name), "environment variable " + name));
            } else if (base != null && known.test(base)) {
                if (environment.containsKey(base)) {
                    problems.add("environment variables " + base + " and " + name + " are both set: set only one ("
                            + name + " names a file holding the value of " + base + ")");
                } else {
                    String value = readValueFile(name, environment.get(name), problems);
                    if (value != null) {
                        resolved.put(base, new EnvValue(value, "the file " + Path.of(environment.get(name)).toAbsolutePath()
                                + " (named by environment variable " + name + ")"));
                    }
                }
            } else if (OTHER_PROGRAMS.containsKey(name)) {
                log.warn("environment variable {} is read by {}, not by the daemon: ignored{}", name, OTHER_PROGRAMS.get(name),
                        name.equals("DOCJOBS_MONGODB_URI") ? " (the daemon's is DOCJOBS_DATABASE_CONNECTION_STRING)" : "");
            } else {
                String plain = base != null ? base : name;
                String suggestion = closest(plain, candidates(plain, keys, fileTypes)) + (base != null ? FILE_SUFFIX : "");
                problems.add("environment variable " + name + " is not a docjobs setting (did you mean " + suggestion
                        + "?); correct or unset it. The variables are DOCJOBS_ + a key of config/docjobs.yaml in upper"
                        + " snake case (DOCJOBS_HANDLERS_<TYPE>_<OPTION> for per-type options), or that + _FILE naming"
                        + " a file holding the value");
            }
        }
        return resolved;
    }

    /** The known variables to suggest for the unknown {@code name}. */
    private static Set<String> candidates(String name, Set<String> keys, Set<String> fileTypes) {
        Set<String> candidates = new TreeSet<>(keys);
        Set<String> types = new TreeSet<>();
        fileTypes.forEach(type -> types.add(typeVariable(type)));
        if (name.startsWith(HANDLERS_PREFIX)) {
            // A mistyped option: every way to read the start of the name as a type.
            String rest = name.substring(HANDLERS_PREFIX.length());
            for (int end = rest.indexOf('_'); end > 0; end = rest.indexOf('_', end + 1)) {
                types.add(rest.substring(0, end));
            }
            types.add(rest);
        }
        for (String type : types) {
            for (String option : HANDLER_KEYS.keySet()) {
                candidates.add(HANDLERS_PREFIX + type + "_" + upperSnake(option));
            }
        }
        return candidates;
    }

    /**
     * How a handler type appears in variable names: upper case, every character other than a letter
     * or digit replaced by an underscore ({@code report.render} → {@code REPORT_RENDER}).
     */
    static String typeVariable(String type) {
        return type.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    private static String upperSnake(String camel) {
        return camel.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(java.util.Locale.ROOT);
    }

    /** A per-type variable {@code DOCJOBS_HANDLERS_<TYPE>_<OPTION>}: the type's variable form and the option. */
    private record HandlerVariable(String type, String option) {
    }

    /** {@code name} read as a per-type variable, or null if it is none. */
    private static HandlerVariable handlerVariable(String name) {
        if (!name.startsWith(HANDLERS_PREFIX)) {
            return null;
        }
        String rest = name.substring(HANDLERS_PREFIX.length());
        for (String option : HANDLER_KEYS.keySet()) {
            String suffix = "_" + upperSnake(option);
            if (rest.endsWith(suffix) && rest.length() > suffix.length()) {
                return new HandlerVariable(rest.substring(0, rest.length() - suffix.length()), option);
            }
        }
        return null;
    }

    /** The per-type settings of the environment, by the type's variable form; unset options are null. */
    private static Map<String, DaemonConfig.Handler> environmentHandlers(Map<String, EnvValue> env, List<String> problems) {
        Map<String, Map<String, Object>> byType = new TreeMap<>();
        env.forEach((name, value) -> {
            HandlerVariable variable = handlerVariable(name);
            if (variable != null) {
                Object parsed = variable.option().equals("nonRetryable")
                        ? classList(value.value(), value.origin(), problems)
                        : parse(HANDLER_KEYS.get(variable.option()), value.value(), value.origin(), problems);
                byType.computeIfAbsent(variable.type(), type -> new LinkedHashMap<>()).put(variable.option(), parsed);
            }
        });
        Map<String, DaemonConfig.Handler> handlers = new LinkedHashMap<>();
        byType.forEach((type, values) -> handlers.put(type, handler(type, values, null)));
        return handlers;
    }

    /** {@code override}'s settings where it has them, else {@code base}'s, as the settings of {@code type}. */
    static DaemonConfig.Handler merge(String type, DaemonConfig.Handler override, DaemonConfig.Handler base) {
        return new DaemonConfig.Handler(type,
                override.className() != null ? override.className() : base.className(),
                override.concurrency() != null ? override.concurrency() : base.concurrency(),
                override.timeout() != null ? override.timeout() : base.timeout(),
                override.maxAttempts() != null ? override.maxAttempts() : base.maxAttempts(),
                override.leaseExtension() != null ? override.leaseExtension() : base.leaseExtension(),
                override.backoffInitial() != null ? override.backoffInitial() : base.backoffInitial(),
                override.backoffMax() != null ? override.backoffMax() : base.backoffMax(),
                override.nonRetryable() != null ? override.nonRetryable() : base.nonRetryable());
    }

    /**
     * Moves the per-type settings of the environment whose type the file names into that type's
     * settings, where they win. A variable form that two types of the file share is a problem.
     */
    private static void applyToFileTypes(Map<String, DaemonConfig.Handler> environmentHandlers,
            Map<String, DaemonConfig.Handler> handlers, String source, List<String> problems) {
        Map<String, List<String>> fileTypes = new TreeMap<>();
        handlers.keySet().forEach(type -> fileTypes.computeIfAbsent(typeVariable(type), v -> new ArrayList<>()).add(type));
        for (String variable : List.copyOf(environmentHandlers.keySet())) {
            List<String> types = fileTypes.get(variable);
            if (types == null) {
                continue; // perhaps a discovered provider's type: HandlerLoader decides
            }
            DaemonConfig.Handler override = environmentHandlers.remove(variable);
            if (types.size() > 1) {
                problems.add("environment variables " + HANDLERS_PREFIX + variable + "_* could mean any of the types "
                        + types + " in " + source + "; set these options in the file instead");
            } else {
                handlers.put(types.get(0), merge(types.get(0), override, handlers.get(types.get(0))));
            }
        }
    }

    /**
     * The content of the file {@code variable} names, without one trailing newline; null after
     * adding a problem if it cannot be read.
     */
    private static String readValueFile(String variable, String path, List<String> problems) {
        if (path.isBlank()) {
            problems.add("environment variable " + variable + " is empty but must name a file holding the value");
            return null;
        }
        Path file = Path.of(path).toAbsolutePath();
        String content;
        try {
            content = Files.readString(file);
        } catch (java.nio.file.NoSuchFileException e) {
            problems.add("environment variable " + variable + " names the file " + file + ", which does not exist");
            return null;
        } catch (java.nio.file.AccessDeniedException e) {
            problems.add("environment variable " + variable + " names the file " + file + ", which this process (user "
                    + System.getProperty("user.name") + ") may not read");
            return null;
        } catch (java.nio.charset.CharacterCodingException e) {
            problems.add("environment variable " + variable + " names the file " + file + ", which is not UTF-8 text");
            return null;
        } catch (IOException e) {
            problems.add("environment variable " + variable + " names the file " + file + ", which cannot be read: " + e);
            return null;
        }
        if (content.endsWith("\r\n")) {
            return content.substring(0, content.length() - 2);
        }
        return content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
    }

    /** The candidate with the smallest edit distance to {@code name}. */
    static String closest(String name, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int distance = editDistance(name, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** Levenshtein distance: insertions, deletions and substitutions. */
    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /**
     * The database is chosen explicitly: a connection string, or {@code database.embedded: true};
     * neither, or both, is an error naming the fixes.
     */
    private static void checkDatabaseChoice(Map<String, Object> values, Map<String, String> origins, String source,
            List<String> problems) {
        Object connectionString = values.get("database.connectionString");
        Object embedded = values.get("database.embedded");
        if (connectionString == null || embedded == null) {
            return; // already reported
        }
        boolean hasConnectionString = !((String) connectionString).isBlank();
        if (hasConnectionString && (Boolean) embedded) {
            problems.add("database.embedded is true (" + origins.get("database.embedded") + ") and a connection string"
                    + " is set (" + origins.get("database.connectionString") + "): choose one. Remove the connection"
                    + " string to use the embedded database, or set database.embedded to false to use the server it names");
        } else if (!hasConnectionString && !(Boolean) embedded) {
            problems.add(source + ": no database chosen: database.connectionString is empty. Set it to your MongoDB or"
                    + " DocumentDB, best through the environment (DOCJOBS_DATABASE_CONNECTION_STRING, or"
                    + " DOCJOBS_DATABASE_CONNECTION_STRING_FILE naming a file that holds it), or choose the"
                    + " embedded database for a trial with database.embedded: true (DOCJOBS_DATABASE_EMBEDDED=true;"
                    + " config/docjobs-trial.yaml does)");
        }
    }

    private static Map<String, Object> readYaml(Path file, List<String> problems) {
        try (Reader reader = Files.newBufferedReader(file)) {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false); // a second "database:" would silently replace the first
            Object document = new Yaml(new SafeConstructor(options)).load(reader);
            if (document == null) {
                return Map.of();
            }
            if (document instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> typed = (Map<String, Object>) map;
                return typed;
            }
            problems.add(file + ": the file must be a YAML mapping of keys (like \"supervisor:\"), not a "
                    + document.getClass().getSimpleName());
        } catch (YAMLException e) {
            problems.add(file + ": not valid YAML: " + e.getMessage().replace('\n', ' '));
        } catch (IOException e) {
            problems.add(file + ": cannot be read: " + e);
        }
        return Map.of();
    }

    private static void flatten(String prefix, Map<?, ?> map, Map<String, Object> flat, Map<String, Object> handlers,
            String source, List<String> problems) {
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String key = prefix + entry.getKey();
            if (key.equals(ScheduleSection.KEY)) {
                continue; // read by ScheduleSection
            }
            if (key.equals("handlers")) {
                if (entry.getValue() instanceof Map<?, ?> section) {
                    section.forEach((type, settings) -> handlers.put(String.valueOf(type), settings));
                } else if (entry.getValue() != null) {
                    problems.add(source + ": handlers was " + describe(entry.getValue())
                            + " but must be a mapping of message type to handler settings");
                }
            } else if (entry.getValue() instanceof Map<?, ?> nested) {
                flatten(key + ".", nested, flat, handlers, source, problems);
            } else {
                flat.put(key, entry.getValue());
            }
        }
    }

    private Map<String, DaemonConfig.Handler> handlers(Map<String, Object> section, String source, List<String> problems) {
        Map<String, DaemonConfig.Handler> handlers = new LinkedHashMap<>();
        section.forEach((type, raw) -> {
            String where = source + ": handlers." + type;
            if (!(raw instanceof Map<?, ?> settings)) {
                problems.add(where + " was " + describe(raw) + " but must be a mapping with at least \"class\"");
                return;
            }
            Map<String, Object> values = new LinkedHashMap<>();
            settings.forEach((key, value) -> {
                Key handlerKey = HANDLER_KEYS.get(String.valueOf(key));
                if (handlerKey == null) {
                    problems.add(where + ": unknown key \"" + key + "\" (known: " + String.join(", ", HANDLER_KEYS.keySet()) + ")");
                } else if (key.equals("nonRetryable")) {
                    values.put("nonRetryable", classList(value, where + ".nonRetryable", problems));
                } else {
                    values.put(String.valueOf(key), parse(handlerKey, value, where + "." + key, problems));
                }
            });
            handlers.put(type, handler(type, values, List.of()));
        });
        return handlers;
    }

    /** The settings of {@code type} from parsed {@code values} by option name; {@code noClasses} if nonRetryable is unset. */
    private static DaemonConfig.Handler handler(String type, Map<String, Object> values, List<String> noClasses) {
        return new DaemonConfig.Handler(type, (String) values.get("class"),
                (Integer) values.get("concurrency"), (Duration) values.get("timeout"),
                (Integer) values.get("maxAttempts"), (Duration) values.get("leaseExtension"),
                (Duration) values.get("backoffInitial"), (Duration) values.get("backoffMax"),
                values.containsKey("nonRetryable") ? castList(values.get("nonRetryable")) : noClasses);
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object value) {
        return (List<String>) value;
    }

    private static List<String> classList(Object value, String where, List<String> problems) {
        if (value instanceof List<?> list) {
            return list.stream().map(String::valueOf).collect(Collectors.toList());
        }
        if (value instanceof String single) {
            return List.of(single.split("\\s*,\\s*"));
        }
        problems.add(where + " was " + describe(value) + " but must be a list of exception class names");
        return List.of();
    }

    static Object parse(Key key, Object raw, String where, List<String> problems) {
        String text = String.valueOf(raw).trim();
        long min = key.min();
        long max = key.max();
        Kind kind = key.kind();
        switch (kind) {
            case STRING -> {
                if (raw instanceof Map || raw instanceof List) {
                    problems.add(where + " was " + describe(raw) + " but must be a single value");
                    return null;
                }
                return text;
            }
            case PATH -> {
                return text;
            }
            case BOOL -> {
                if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
                    return Boolean.parseBoolean(text);
                }
                problems.add(where + " was " + describe(raw) + " but must be true or false");
                return null;
            }
            case INT -> {
                try {
                    long value = Long.parseLong(text);
                    if (value < min || value > max) {
                        problems.add(where + " was " + value + " but must be between " + min + " and " + max);
                        return null;
                    }
                    return (int) value;
                } catch (NumberFormatException e) {
                    problems.add(where + " was " + describe(raw) + " but must be a whole number between " + min + " and " + max);
                    return null;
                }
            }
            default -> {
                String tooLong = where + " was " + describe(raw) + " but must be at most " + format(key.maxDuration());
                Duration duration;
                try {
                    duration = duration(text);
                } catch (IllegalArgumentException e) {
                    problems.add(tooLong);
                    return null;
                }
                if (duration == null || duration.isNegative() || kind == Kind.POSITIVE_DURATION && duration.isZero()) {
                    problems.add(where + " was " + describe(raw) + " but must be a " + (kind == Kind.POSITIVE_DURATION
                            ? "positive " : "") + "duration such as 500ms, 30s, 5m, 1h or PT30S, at most "
                            + format(key.maxDuration()));
                    return null;
                }
                if (duration.compareTo(key.maxDuration()) > 0) {
                    problems.add(tooLong);
                    return null;
                }
                return duration;
            }
        }
    }

    /**
     * Parses 500ms, 30s, 5m, 1h, 1d or ISO-8601; null if it is none of these.
     *
     * @throws IllegalArgumentException if it has the form of a duration but a {@link Duration} cannot hold it
     */
    public static Duration duration(String text) {
        Matcher matcher = SHORT_DURATION.matcher(text);
        if (matcher.matches()) {
            try {
                long amount = Long.parseLong(matcher.group(1));
                return switch (matcher.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                };
            } catch (ArithmeticException | NumberFormatException e) {
                throw tooLarge(text, e);
            }
        }
        try {
            return Duration.parse(text);
        } catch (DateTimeParseException e) {
            // A cause means the form was right but a number overflowed; none means it was not a duration.
            if (e.getCause() != null) {
                throw tooLarge(text, e);
            }
            return null;
        }
    }

    private static IllegalArgumentException tooLarge(String text, Exception cause) {
        return new IllegalArgumentException("\"" + text + "\" is too large for a duration", cause);
    }

    /** {@code duration} the way the configuration file writes it: 7d, 12h, 10m, 30s or 500ms. */
    static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis == 0 || millis % 1000 != 0) {
            return millis + "ms";
        }
        long seconds = millis / 1000;
        if (seconds % 86_400 == 0) {
            return seconds / 86_400 + "d";
        }
        if (seconds % 3_600 == 0) {
            return seconds / 3_600 + "h";
        }
        return seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
    }

    static String describe(Object value) {
        return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
    }

    private static String suggestion(String unknown) {
        String section = unknown.contains(".") ? unknown.substring(0, unknown.lastIndexOf('.') + 1) : "";
        Set<String> siblings = new TreeSet<>();
        for (Key key : KEYS) {
            if (key.path().startsWith(section) && !key.path().substring(section.length()).contains(".")) {
                siblings.add(key.path());
            }
        }
        return siblings.isEmpty() ? "" : " (known keys here: " + String.join(", ", siblings) + ")";
    }

    private static String str(Map<String, Object> values, String key) {
        return (String) values.get(key);
    }

    private static int integer(Map<String, Object> values, String key) {
        Object value = values.get(key);
        return value instanceof Long l ? l.intValue() : (Integer) value;
    }

    private static Path path(Map<String, Object> values, String key) {
        String value = (String) values.get(key);
        return value == null || value.isBlank() ? null : Path.of(value);
    }
}
