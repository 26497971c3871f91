package io.docjobs.daemon;

import io.docjobs.ConfigurationException;
import io.docjobs.JobRequest;
import io.docjobs.Schedule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.bson.Document;

/**
 * The {@code schedules:} section of the configuration file: one mapping per schedule id, read onto
 * {@link Schedule.Builder}, whose checks are the rules; each problem comes back under the file's key
 * ({@code schedules.<id>.<field>}), with every other problem of the file.
 *
 * <pre>
 * schedules:
 *   nightly-report:
 *     type: report.render
 *     cron: "30 2 * * *"
 *     zone: Europe/Berlin
 *     payload: {month: current}
 *     misfire: fireOnce
 * </pre>
 */
final class ScheduleSection {
    static final String KEY = "schedules";
    private static final Pattern CATCH_UP = Pattern.compile("catchUp\\((\\d{1,9})\\)");

    private static final Map<String, ConfigLoader.Key> KEYS = List.of(
            new ConfigLoader.Key("type", ConfigLoader.Kind.STRING, null, 0, 0),
            new ConfigLoader.Key("cron", ConfigLoader.Kind.STRING, null, 0, 0),
            new ConfigLoader.Key("interval", ConfigLoader.Kind.POSITIVE_DURATION, null, Schedule.MAX_INTERVAL),
            new ConfigLoader.Key("zone", ConfigLoader.Kind.STRING, null, 0, 0),
            new ConfigLoader.Key("payload", ConfigLoader.Kind.STRING, null, 0, 0),
            new ConfigLoader.Key("priority", ConfigLoader.Kind.INT, null, Integer.MIN_VALUE, Integer.MAX_VALUE),
            new ConfigLoader.Key("visibilityTimeout", ConfigLoader.Kind.POSITIVE_DURATION, null,
                    JobRequest.MAX_VISIBILITY_TIMEOUT),
            new ConfigLoader.Key("maxAttempts", ConfigLoader.Kind.INT, null, 1, 1000),
            new ConfigLoader.Key("jitter", ConfigLoader.Kind.DURATION, null, Schedule.MAX_JITTER),
            new ConfigLoader.Key("misfire", ConfigLoader.Kind.STRING, null, 0, 0),
            new ConfigLoader.Key("misfireThreshold", ConfigLoader.Kind.POSITIVE_DURATION, null,
                    Schedule.MAX_MISFIRE_THRESHOLD),
            new ConfigLoader.Key("overlap", ConfigLoader.Kind.STRING, null, 0, 0),
            new ConfigLoader.Key("paused", ConfigLoader.Kind.BOOL, null, 0, 0))
            .stream().collect(Collectors.toMap(ConfigLoader.Key::path, key -> key, (a, b) -> a, LinkedHashMap::new));

    private ScheduleSection() {
    }

    /** The schedules of {@code section} (the YAML value of {@code schedules:}), adding every problem found. */
    static List<Schedule> read(Object section, String source, List<String> problems) {
        List<Schedule> schedules = new ArrayList<>();
        if (section == null) {
            return schedules;
        }
        if (!(section instanceof Map<?, ?> byId)) {
            problems.add(source + ": schedules was " + ConfigLoader.describe(section)
                    + " but must be a mapping of schedule id to its settings");
            return schedules;
        }
        byId.forEach((id, settings) -> {
            Schedule schedule = schedule(String.valueOf(id), settings, source + ": schedules." + id, problems);
            if (schedule != null) {
                schedules.add(schedule);
            }
        });
        return schedules;
    }

    private static Schedule schedule(String id, Object raw, String where, List<String> problems) {
        if (!(raw instanceof Map<?, ?> settings)) {
            problems.add(where + " was " + ConfigLoader.describe(raw) + " but must be a mapping with at least \"type\""
                    + " and \"cron\" or \"interval\"");
            return null;
        }
        int before = problems.size();
        Map<String, Object> values = new LinkedHashMap<>();
        java.util.Set<String> failed = new java.util.HashSet<>();
        settings.forEach((key, value) -> {
            ConfigLoader.Key known = KEYS.get(String.valueOf(key));
            if (known == null) {
                problems.add(where + ": unknown key \"" + key + "\" (known: " + String.join(", ", KEYS.keySet()) + ")");
            } else if (key.equals("payload")) {
                values.put("payload", value);
            } else {
                Object parsed = ConfigLoader.parse(known, value, where + "." + key, problems);
                if (parsed != null) {
                    values.put(String.valueOf(key), parsed);
                } else {
                    failed.add(String.valueOf(key));
                }
            }
        });
        Schedule.Builder builder = Schedule.builder(id, (String) values.get("type"));
        if (values.get("cron") != null) {
            builder.cron((String) values.get("cron"));
        }
        if (values.get("interval") != null) {
            if (values.get("cron") != null) {
                problems.add(where + ": cron and interval are both set; set exactly one");
            }
            builder.interval((Duration) values.get("interval"));
        }
        if (values.get("zone") != null) {
            builder.zone((String) values.get("zone"));
        }
        Object payload = values.get("payload");
        if (payload instanceof Map<?, ?> document) {
            builder.payload(new Document(document.entrySet().stream().collect(Collectors.toMap(
                    entry -> String.valueOf(entry.getKey()), Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new))));
        } else if (payload != null) {
            builder.payload(String.valueOf(payload));
        }
        if (values.get("priority") != null) {
            builder.priority((Integer) values.get("priority"));
        }
        builder.visibilityTimeout((Duration) values.get("visibilityTimeout"));
        builder.maxAttempts((Integer) values.get("maxAttempts"));
        if (values.get("jitter") != null) {
            builder.jitter((Duration) values.get("jitter"));
        }
        if (values.get("misfire") != null) {
            Schedule.Misfire misfire = misfire((String) values.get("misfire"), where, problems);
            if (misfire != null) {
                builder.misfire(misfire);
            }
        }
        if (values.get("misfireThreshold") != null) {
            builder.misfireThreshold((Duration) values.get("misfireThreshold"));
        }
        if (values.get("overlap") != null) {
            switch ((String) values.get("overlap")) {
                case "allow" -> builder.overlap(Schedule.Overlap.ALLOW);
                case "skipIfRunning" -> builder.overlap(Schedule.Overlap.SKIP_IF_RUNNING);
                default -> problems.add(where + ".overlap was \"" + values.get("overlap")
                        + "\" but must be allow or skipIfRunning");
            }
        }
        if (values.get("paused") != null) {
            builder.paused((Boolean) values.get("paused"));
        }
        try {
            Schedule schedule = builder.build();
            return problems.size() == before ? schedule : null;
        } catch (ConfigurationException e) {
            String prefix = "schedule \"" + id + "\": ";
            for (String problem : e.problems()) {
                String rest = problem.startsWith(prefix) ? problem.substring(prefix.length()) : problem;
                // A value that did not parse is reported once, as it was written, not again as missing.
                boolean reported = failed.stream().anyMatch(key -> rest.startsWith(key + " was "))
                        || rest.startsWith("cron was null and interval was null") && (failed.contains("cron")
                                || failed.contains("interval"));
                if (!reported) {
                    problems.add(where + "." + rest);
                }
            }
            return null;
        }
    }

    /** {@code skip}, {@code fireOnce} or {@code catchUp(N)}. */
    private static Schedule.Misfire misfire(String text, String where, List<String> problems) {
        Matcher catchUp = CATCH_UP.matcher(text);
        try {
            if (catchUp.matches()) {
                return Schedule.Misfire.catchUp(Integer.parseInt(catchUp.group(1)));
            }
        } catch (IllegalArgumentException e) {
            problems.add(where + "." + e.getMessage());
            return null;
        }
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "skip" -> Schedule.Misfire.skip();
            case "fireonce" -> Schedule.Misfire.fireOnce();
            default -> {
                problems.add(where + ".misfire was \"" + text + "\" but must be skip, fireOnce or catchUp(N) with N from 1"
                        + " to " + Schedule.MAX_CATCH_UP);
                yield null;
            }
        };
    }
}
