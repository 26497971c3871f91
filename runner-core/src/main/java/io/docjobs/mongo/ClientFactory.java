package io.docjobs.mongo;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.docjobs.ConfigurationException;
import io.docjobs.QueueConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the driver client from a {@link QueueConfig}: timeouts, TLS with a CA file, clear errors. */
final class ClientFactory {
    private static final Logger log = LoggerFactory.getLogger(ClientFactory.class);
    private static final Pattern TLS_CA_FILE = Pattern.compile("[?&]tlsCAFile=([^&]+)", Pattern.CASE_INSENSITIVE);

    private ClientFactory() {
    }

    static MongoClient create(QueueConfig config) {
        ConnectionString connectionString = parse(config.connectionString());
        MongoClientSettings.Builder settings = MongoClientSettings.builder()
                .applyConnectionString(connectionString)
                .applicationName(connectionString.getApplicationName() != null
                        ? connectionString.getApplicationName() : "docjobs");
        long timeoutMillis = config.operationTimeout().toMillis();
        // The driver's defaults (30 s server selection, no socket timeout) would turn an unreachable
        // or hung server into long stalls; bound everything by the one operation timeout.
        settings.applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(timeoutMillis, TimeUnit.MILLISECONDS));
        settings.applyToSocketSettings(socket -> socket
                .connectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMillis), TimeUnit.MILLISECONDS)
                .readTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMillis), TimeUnit.MILLISECONDS));
        Path caFile = config.caFile() != null ? config.caFile() : caFileFromUri(config.connectionString());
        if (caFile != null) {
            SSLContext context = sslContextTrusting(caFile);
            settings.applyToSslSettings(ssl -> ssl.enabled(true).context(context));
        }
        if (connectionString.getRetryWritesValue() == null && isDocumentDb(connectionString)) {
            // DocumentDB before 8.0.2 rejects retryable writes; docjobs retries on its own.
            settings.retryWrites(false);
            log.info("Amazon DocumentDB host detected: using retryWrites=false (docjobs retries transient errors itself)");
        }
        return MongoClients.create(settings.build());
    }

    private static boolean isDocumentDb(ConnectionString connectionString) {
        return connectionString.getHosts().stream().anyMatch(host -> host.contains(".docdb.amazonaws.com")
                || host.contains(".docdb-elastic.amazonaws.com"));
    }

    /**
     * The Java driver ignores {@code tlsCAFile} in a connection string (other drivers honour it, and
     * AWS's sample strings carry it), so docjobs reads it and uses it as the CA file.
     */
    static Path caFileFromUri(String connectionString) {
        Matcher matcher = TLS_CA_FILE.matcher(connectionString);
        if (!matcher.find()) {
            return null;
        }
        return Path.of(URLDecoder.decode(matcher.group(1), StandardCharsets.UTF_8));
    }

    static ConnectionString parse(String connectionString) {
        if (connectionString == null || connectionString.isBlank()) {
            throw new ConfigurationException("connectionString was " + (connectionString == null ? "null" : "blank")
                    + " but must be a MongoDB connection string such as mongodb://localhost:27017");
        }
        try {
            return new ConnectionString(connectionString);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("connectionString \"" + QueueConfig.maskPassword(connectionString)
                    + "\" is not a valid MongoDB connection string (" + QueueConfig.maskPassword(e.getMessage())
                    + "); expected mongodb://[user:password@]host[:port][/?options]", e);
        }
    }

    static SSLContext sslContextTrusting(Path caFile) {
        if (!Files.exists(caFile)) {
            throw new ConfigurationException("caFile " + caFile.toAbsolutePath() + " does not exist; point caFile at the PEM"
                    + " CA bundle of your server (for Amazon DocumentDB: global-bundle.pem)");
        }
        if (!Files.isRegularFile(caFile) || !Files.isReadable(caFile)) {
            throw new ConfigurationException("caFile " + caFile.toAbsolutePath() + " is not a readable file");
        }
        Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(caFile)) {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigurationException("caFile " + caFile.toAbsolutePath() + " is not a PEM certificate file ("
                    + e.getMessage() + "); expected one or more -----BEGIN CERTIFICATE----- blocks", e);
        }
        if (certificates.isEmpty()) {
            throw new ConfigurationException("caFile " + caFile.toAbsolutePath() + " holds no certificate; expected one"
                    + " or more -----BEGIN CERTIFICATE----- blocks");
        }
        try {
            KeyStore trustStore = KeyStore.getInstance(KeyStore.getDefaultType());
            trustStore.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates) {
                trustStore.setCertificateEntry("docjobs-ca-" + i++, certificate);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trustStore);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigurationException("caFile " + caFile.toAbsolutePath() + " could not be used as a trust store: "
                    + e.getMessage(), e);
        }
    }
}
