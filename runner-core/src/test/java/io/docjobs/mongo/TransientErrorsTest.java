package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.MongoConnectionPoolClearedException;
import com.mongodb.MongoException;
import com.mongodb.MongoSocketReadException;
import com.mongodb.ServerAddress;
import com.mongodb.connection.ClusterId;
import com.mongodb.connection.ServerId;
import org.junit.jupiter.api.Test;

/** Which driver errors are retried; the end-to-end behaviour is in TransientFaultTest. */
class TransientErrorsTest {

    @Test
    void aClearedPoolIsTransientEvenWithoutTheLabelTheDriverAddsOnlyForRetryableWrites() {
        ServerId server = new ServerId(new ClusterId(), new ServerAddress());
        MongoConnectionPoolClearedException cleared = new MongoConnectionPoolClearedException(server,
                new MongoSocketReadException("Prematurely reached end of stream", server.getAddress()));

        assertThat(cleared.getErrorLabels()).isEmpty();
        assertThat(TransientErrors.isTransient(cleared)).isTrue();
    }

    @Test
    void anErrorWithoutTransientTypeLabelOrCodeIsNotRetried() {
        assertThat(TransientErrors.isTransient(new MongoException(2, "BadValue"))).isFalse();
        assertThat(TransientErrors.isTransient(new MongoException(91, "ShutdownInProgress"))).isTrue();
    }
}
