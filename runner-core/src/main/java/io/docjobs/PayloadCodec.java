package io.docjobs;

import com.mongodb.MongoClientSettings;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.Map;
import java.util.function.Supplier;
import org.bson.BsonDocument;
import org.bson.BsonDocumentReader;
import org.bson.BsonDocumentWriter;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.codecs.Codec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.bson.codecs.pojo.PojoCodecProvider;

/**
 * Typed payloads through the MongoDB driver's codecs: records by the driver's record codec, other
 * classes as POJOs (public no-argument constructor and getters/setters, or {@code @BsonCreator}),
 * plus everything the default registry knows (maps, lists, dates, enums...). Encoding and decoding
 * use this one registry, so what a producer encodes, a handler decodes.
 */
final class PayloadCodec {
    /** The default registry first: records, Document and the JDK types keep their own codecs; POJOs last. */
    static final CodecRegistry REGISTRY = CodecRegistries.fromRegistries(MongoClientSettings.getDefaultCodecRegistry(),
            CodecRegistries.fromProviders(PojoCodecProvider.builder().automatic(true).build()));
    private static final Map<Class<?>, Class<?>> BOXES = Map.of(int.class, Integer.class, long.class, Long.class,
            double.class, Double.class, float.class, Float.class, boolean.class, Boolean.class, short.class, Short.class,
            byte.class, Byte.class, char.class, Character.class);

    private PayloadCodec() {
    }

    /**
     * {@code value} as a document.
     *
     * @throws IllegalArgumentException if it has no codec or does not encode to a document
     */
    @SuppressWarnings("unchecked")
    static Document encode(String type, Object value) {
        Bounds.notNull(value, "payload");
        try {
            Codec<Object> codec = (Codec<Object>) REGISTRY.get(value.getClass());
            BsonDocument encoded = new BsonDocument();
            codec.encode(new BsonDocumentWriter(encoded), value, EncoderContext.builder().build());
            return REGISTRY.get(Document.class).decode(new BsonDocumentReader(encoded), DecoderContext.builder().build());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("payload of job type \"" + type + "\" (a " + value.getClass().getName()
                    + ") cannot be encoded as a BSON document: " + cause(e) + accessHint(value.getClass())
                    + "; use a public record, a public POJO with a public no-argument constructor and getters/setters,"
                    + " a Map, a Document or a String", e);
        }
    }

    /**
     * What {@link Lease#payloadAs} and {@link JobContext#payloadAs} both do, so a job reads the same
     * through either: text as itself, the document as itself, anything else through the codecs; a
     * text payload that is no JSON object cannot map, which no retry fixes.
     */
    static <T> T payloadAs(Class<T> target, Supplier<String> text, Supplier<Document> document, String jobId,
            String jobType) {
        if (target == String.class) {
            return target.cast(text.get());
        }
        Document payload;
        try {
            payload = document.get();
        } catch (IllegalArgumentException | NonRetryableException e) {
            // A lease says so with an IllegalArgumentException, a running job already as non-retryable.
            throw new NonRetryableException(e.getMessage() + "; cannot decode it as " + target.getName(), e);
        }
        return target == Document.class ? target.cast(payload) : decode(payload, target, jobId, jobType);
    }

    /**
     * {@code payload} decoded as {@code target}.
     *
     * @throws NonRetryableException if it does not map: a retry would meet the same payload
     */
    static <T> T decode(Document payload, Class<T> target, String jobId, String jobType) {
        Bounds.notNull(target, "target class");
        BsonDocument bson = payload.toBsonDocument(Document.class, REGISTRY);
        try {
            return REGISTRY.get(target).decode(new BsonDocumentReader(bson), DecoderContext.builder().build());
        } catch (RuntimeException e) {
            // Any failure here, the driver's or the target's own constructor's, is about the payload's shape.
            throw new NonRetryableException("payload of job " + jobId + " (type \"" + jobType + "\") does not map to "
                    + target.getName() + ": " + diagnose(bson, target, e) + accessHint(target), e);
        }
    }

    /**
     * What is wrong, as precisely as can be told: the record codec's own messages name no field
     * ("Invalid numeric type, found: STRING"), so for records each component is checked alone.
     */
    private static String diagnose(BsonDocument payload, Class<?> target, RuntimeException failure) {
        if (target.isRecord()) {
            for (RecordComponent component : target.getRecordComponents()) {
                String field = component.getName();
                BsonValue value = payload.get(field);
                if (value == null || value.isNull()) {
                    if (component.getType().isPrimitive()) {
                        return "field \"" + field + "\" is " + (value == null ? "missing" : "null") + " but "
                                + component.getType().getName() + " " + field + " needs a value";
                    }
                    continue;
                }
                String problem = decodeProblem(value, BOXES.getOrDefault(component.getType(), component.getType()));
                if (problem != null) {
                    return "field \"" + field + "\" holds " + describe(value.getBsonType()) + " that does not decode as "
                            + component.getGenericType().getTypeName() + " (" + problem + ")";
                }
            }
        }
        return cause(failure);
    }

    /**
     * The driver's codecs reach components and properties by reflection without breaking access
     * rules, so the class itself must be public (the classes it is nested in need not be).
     */
    private static String accessHint(Class<?> type) {
        return Modifier.isPublic(type.getModifiers()) ? ""
                : " (" + type.getName() + " is not public: the driver's codecs need public classes)";
    }

    private static String decodeProblem(BsonValue value, Class<?> type) {
        Codec<?> codec;
        try {
            codec = REGISTRY.get(type);
        } catch (RuntimeException e) {
            return null; // not decodable on its own: the overall message has to do
        }
        BsonDocumentReader reader = new BsonDocumentReader(new BsonDocument("v", value));
        reader.readStartDocument();
        reader.readName();
        try {
            codec.decode(reader, DecoderContext.builder().build());
            return null;
        } catch (RuntimeException e) {
            return cause(e);
        }
    }

    private static String describe(BsonType type) {
        String name = type.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        return (name.matches("[aeiou].*") ? "an " : "a ") + name;
    }

    /**
     * The most telling message in the chain: the driver wraps POJO failures in paragraphs of advice,
     * of which the "Decoding 'field' errored with" line is the one that says what is wrong.
     */
    private static String cause(Throwable error) {
        String deepest = null;
        for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            String message = e.getMessage();
            if (message == null) {
                continue;
            }
            for (String line : message.split("\\R")) {
                if (line.contains("errored with:")) {
                    return line.strip();
                }
            }
            deepest = message.strip();
        }
        return deepest != null ? deepest : error.getClass().getSimpleName();
    }
}
