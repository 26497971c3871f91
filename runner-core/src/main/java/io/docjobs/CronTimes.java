package io.docjobs;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Cron expressions through cron-utils, and their times in a zone with daylight-saving changes.
 *
 * <p>cron-utils is asked only for local date-times (it is handed them as UTC, which has no
 * transitions); this class maps each local time to an instant itself, so the rules for gaps and
 * overlaps are ours and tested: a local time in a gap fires once, at the instant the gap ends; a
 * local time in an overlap fires once, at its first occurrence.
 */
final class CronTimes {
    static final String DIALECTS = "a cron expression: Unix (5 fields: minute hour day-of-month month day-of-week),"
            + " Spring (6 fields, seconds first) or Quartz (6 fields with '?', or 7 with the year)";

    // Parsers hold only their definitions after construction: shared, never changed.
    private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final CronParser SPRING = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING));
    private static final CronParser QUARTZ = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.QUARTZ));
    /** A cron expression with no time in this many local steps has none worth waiting for. */
    private static final int MAX_STEPS = 10_000;

    private CronTimes() {
    }

    /** The parser of the dialect the expression is written in, by its number of fields and a '?'. */
    private static CronParser dialect(String expression) {
        String[] fields = expression.trim().split("\\s+");
        if (fields.length == 5) {
            return UNIX;
        }
        if (fields.length == 6 && !expression.contains("?")) {
            return SPRING;
        }
        return QUARTZ;
    }

    /** {@return what is wrong with {@code expression}, or null if it parses} */
    static @Nullable String check(String expression) {
        try {
            parse(expression);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    /** @throws IllegalArgumentException if it does not parse */
    static ExecutionTime parse(String expression) {
        String[] fields = expression.trim().split("\\s+");
        if (fields.length < 5 || fields.length > 7) {
            throw new IllegalArgumentException("it has " + fields.length + " fields");
        }
        Cron cron = dialect(expression).parse(expression.trim());
        cron.validate();
        return ExecutionTime.forCron(cron);
    }

    /** The first time strictly after {@code after}, or null if there is none. */
    static @Nullable Instant next(ExecutionTime times, ZoneId zone, Instant after) {
        ZoneRules rules = zone.getRules();
        // Whole seconds: cron-utils keeps the fraction it is given in the times it returns.
        LocalDateTime local = LocalDateTime.ofInstant(after, zone).truncatedTo(ChronoUnit.SECONDS);
        for (int step = 0; step < MAX_STEPS; step++) {
            Optional<ZonedDateTime> next = times.nextExecution(local.atZone(ZoneOffset.UTC));
            if (next.isEmpty()) {
                return null;
            }
            LocalDateTime candidate = next.get().toLocalDateTime();
            Instant instant = instant(candidate, zone, rules);
            // A local time after a repeated hour's first pass maps back into it, a time in a gap to
            // the gap's end, which may have fired already: only a later instant is a new time.
            if (instant.isAfter(after)) {
                return instant;
            }
            local = candidate;
        }
        return null;
    }

    /** The instant of a local time: in a gap, the end of the gap; in an overlap, the first occurrence. */
    private static Instant instant(LocalDateTime local, ZoneId zone, ZoneRules rules) {
        if (rules.getValidOffsets(local).isEmpty()) {
            ZoneOffsetTransition gap = rules.getTransition(local);
            return gap.getInstant();
        }
        // ZonedDateTime.of takes the earlier offset in an overlap: the first occurrence.
        return ZonedDateTime.of(local, zone).toInstant();
    }
}
