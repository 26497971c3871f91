package io.docjobs.examples.handlers;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.JobHandlerProvider;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class HandlerProvidersTest {

    @Test
    void theDaemonFindsAllThreeExampleHandlers() {
        assertThat(ServiceLoader.load(JobHandlerProvider.class))
                .extracting(JobHandlerProvider::type)
                .contains(SendEmailHandler.TYPE, RenderReportHandler.TYPE, ChargePaymentHandler.TYPE);
    }

    @Test
    void everyProviderMakesAFreshHandler() {
        SendEmailHandler.Provider provider = new SendEmailHandler.Provider();

        assertThat(provider.handler()).isNotSameAs(provider.handler());
    }
}
