package io.docjobs.daemon.console;

import java.nio.charset.StandardCharsets;
import org.bson.Document;
import org.bson.json.JsonMode;
import org.bson.json.JsonParseException;
import org.bson.json.JsonWriterSettings;
import org.jspecify.annotations.Nullable;

/**
 * A payload as the console shows it: JSON documents indented, text as it is, and either cut at
 * {@link #MAX_SHOWN_BYTES} so a huge payload cannot make a page or an API answer huge.
 *
 * @param text      what to show
 * @param json      whether it is a JSON document (indented)
 * @param bytes     the payload's full size in UTF-8 bytes
 * @param truncated whether {@code text} is cut
 */
public record Payloads(String text, boolean json, long bytes, boolean truncated) {
    /** The most of a payload shown: 64 KiB. */
    public static final int MAX_SHOWN_BYTES = 64 * 1024;

    private static final JsonWriterSettings INDENTED = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED)
            .indent(true).build();

    static Payloads of(@Nullable String payload) {
        if (payload == null) {
            return new Payloads("", false, 0, false);
        }
        long bytes = payload.getBytes(StandardCharsets.UTF_8).length;
        // Indenting a payload larger than what is shown would parse megabytes for nothing.
        String shown = payload;
        boolean json = false;
        if (bytes <= MAX_SHOWN_BYTES && payload.startsWith("{")) {
            try {
                shown = Document.parse(payload).toJson(INDENTED);
                json = true;
            } catch (JsonParseException | IllegalArgumentException e) {
                shown = payload; // text that starts like JSON: shown as stored
            }
        }
        boolean truncated = shown.getBytes(StandardCharsets.UTF_8).length > MAX_SHOWN_BYTES;
        return new Payloads(truncated ? cut(shown) : shown, json, bytes, truncated);
    }

    private static String cut(String text) {
        // Cut by characters first, then make sure the UTF-8 form fits.
        String cut = text.substring(0, Math.min(text.length(), MAX_SHOWN_BYTES));
        while (cut.getBytes(StandardCharsets.UTF_8).length > MAX_SHOWN_BYTES) {
            cut = cut.substring(0, cut.length() - 1024);
        }
        return cut;
    }
}
