package io.docjobs.examples.handlers;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.JobHandlerProvider;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class HandlerProvidersTest {

    @Test
    void theExampleHandlersServeOnlyExampleTypes() {
        assertThat(List.of(new SendEmailHandler.Provider(), new RenderReportHandler.Provider(),
                new ChargePaymentHandler.Provider()))
                .extracting(JobHandlerProvider::type)
                .containsExactly("example.email.send", "example.report.render", "example.payment.charge");
    }

    @Test
    void docjobsRegistersNoExampleProviderForDiscovery() {
        assertThat(ServiceLoader.load(JobHandlerProvider.class).stream().map(ServiceLoader.Provider::type))
                .as("providers registered in META-INF/services on this classpath")
                .noneMatch(type -> type.getPackageName().startsWith("io.docjobs.examples"));
    }

    @Test
    void everyProviderMakesAFreshHandler() {
        SendEmailHandler.Provider provider = new SendEmailHandler.Provider();

        assertThat(provider.handler()).isNotSameAs(provider.handler());
    }
}
