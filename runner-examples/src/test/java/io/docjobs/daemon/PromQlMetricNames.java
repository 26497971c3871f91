package io.docjobs.daemon;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The metric names a PromQL expression selects, found by a small tokenizer rather than a parser:
 * it skips strings, label matchers in {@code {}}, ranges and subqueries in {@code []}, numbers and
 * durations, keywords and binary operators, the label lists after {@code by}, {@code without},
 * {@code on}, {@code ignoring}, {@code group_left} and {@code group_right}, and names of aggregations
 * and functions; every other identifier is a metric name. A name followed by {@code (} that is no
 * PromQL function, and unbalanced brackets, are errors, so a typo cannot hide a metric from the check.
 */
final class PromQlMetricNames {
    private static final Set<String> AGGREGATIONS = Set.of("sum", "min", "max", "avg", "group", "stddev", "stdvar",
            "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio");
    private static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "atan2", "inf", "nan");
    private static final Set<String> FUNCTIONS = Set.of("abs", "absent", "absent_over_time", "ceil", "changes",
            "clamp", "clamp_max", "clamp_min", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "delta",
            "deriv", "double_exponential_smoothing", "exp", "floor", "histogram_avg", "histogram_count",
            "histogram_fraction", "histogram_quantile", "histogram_stddev", "histogram_stdvar", "histogram_sum",
            "holt_winters", "hour", "idelta", "increase", "info", "irate", "label_join", "label_replace", "ln", "log2",
            "log10", "minute", "month", "predict_linear", "rate", "resets", "round", "scalar", "sgn", "sort",
            "sort_desc", "sort_by_label", "sort_by_label_desc", "sqrt", "time", "timestamp", "vector", "year",
            "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
            "quantile_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time",
            "mad_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan",
            "tanh", "deg", "rad", "pi", "start", "end");

    private PromQlMetricNames() {
    }

    /**
     * The metric names {@code expr} selects, sorted.
     *
     * @throws IllegalArgumentException for an unknown function or unbalanced brackets or quotes
     */
    static Set<String> of(String expr) {
        Set<String> names = new TreeSet<>();
        int depth = 0;
        int i = 0;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '#') {
                int end = expr.indexOf('\n', i);
                i = end < 0 ? expr.length() : end;
            } else if (c == '"' || c == '\'' || c == '`') {
                i = afterString(expr, i);
            } else if (c == '{') {
                i = after(expr, i, '}');
            } else if (c == '[') {
                i = after(expr, i, ']');
            } else if (Character.isDigit(c) || c == '.' && i + 1 < expr.length() && Character.isDigit(expr.charAt(i + 1))) {
                while (i < expr.length() && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '.'
                        || expr.charAt(i) == '_')) {
                    i++; // 600, 0.5, 1e3, 0x1f, and durations such as 15m after offset
                }
            } else if (isIdentifierStart(c)) {
                int start = i;
                while (i < expr.length() && isIdentifierPart(expr.charAt(i))) {
                    i++;
                }
                String word = expr.substring(start, i);
                String keyword = word.toLowerCase(Locale.ROOT);
                int next = skipWhitespace(expr, i);
                boolean call = next < expr.length() && expr.charAt(next) == '(';
                if (GROUPING.contains(keyword)) {
                    if (call) {
                        i = after(expr, next, ')'); // the label list
                    }
                } else if (AGGREGATIONS.contains(keyword) || KEYWORDS.contains(keyword)) {
                    continue;
                } else if (call) {
                    if (!FUNCTIONS.contains(word)) {
                        throw new IllegalArgumentException("unknown PromQL function \"" + word + "\" in: " + expr);
                    }
                } else {
                    names.add(word);
                }
            } else {
                if (c == '(') {
                    depth++;
                } else if (c == ')' && --depth < 0) {
                    throw new IllegalArgumentException("unbalanced \")\" at " + i + " in: " + expr);
                } else if (c == '}' || c == ']') {
                    throw new IllegalArgumentException("unbalanced \"" + c + "\" at " + i + " in: " + expr);
                }
                i++;
            }
        }
        if (depth != 0) {
            throw new IllegalArgumentException("unbalanced \"(\" in: " + expr);
        }
        return names;
    }

    private static boolean isIdentifierStart(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':';
    }

    private static boolean isIdentifierPart(char c) {
        return isIdentifierStart(c) || c >= '0' && c <= '9';
    }

    private static int skipWhitespace(String expr, int i) {
        while (i < expr.length() && Character.isWhitespace(expr.charAt(i))) {
            i++;
        }
        return i;
    }

    /** The index after the bracket that closes the one at {@code open}, skipping strings inside. */
    private static int after(String expr, int open, char close) {
        int i = open + 1;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == close) {
                return i + 1;
            }
            if (c == '{' || c == '[' || c == '(' || c == '}' || c == ']' || c == ')') {
                // none nests in label matchers, ranges or label lists
                throw new IllegalArgumentException("unexpected \"" + c + "\" at " + i + " in: " + expr);
            }
            i = c == '"' || c == '\'' || c == '`' ? afterString(expr, i) : i + 1;
        }
        throw new IllegalArgumentException("unclosed \"" + expr.charAt(open) + "\" at " + open + " in: " + expr);
    }

    private static int afterString(String expr, int open) {
        char quote = expr.charAt(open);
        int i = open + 1;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == '\\' && quote != '`') {
                i += 2;
            } else if (c == quote) {
                return i + 1;
            } else {
                i++;
            }
        }
        throw new IllegalArgumentException("unclosed string at " + open + " in: " + expr);
    }
}
