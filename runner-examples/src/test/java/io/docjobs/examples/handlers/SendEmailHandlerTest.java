package io.docjobs.examples.handlers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.docjobs.NonRetryableException;
import org.junit.jupiter.api.Test;

class SendEmailHandlerTest {
    private static final String MAIL = "{\"to\": \"a@example.com\", \"subject\": \"Hi\", \"body\": \"Hello\"}";

    private final Outbox outbox = new Outbox();
    private final SendEmailHandler handler = new SendEmailHandler(outbox);

    @Test
    void sendsTheMailOfTheJob() {
        handler.handle(FakeJobContext.of("job-1", SendEmailHandler.TYPE, MAIL));

        assertThat(outbox.get("job-1")).contains(new Outbox.Mail("a@example.com", "Hi", "Hello"));
    }

    @Test
    void redeliveryOfTheSameJobSendsNoSecondMail() {
        FakeJobContext job = FakeJobContext.of("job-1", SendEmailHandler.TYPE, MAIL);
        handler.handle(job);
        handler.handle(job.attempt(2)); // the first ack was lost: same id, next attempt

        assertThat(outbox.size()).isEqualTo(1);
    }

    @Test
    void differentJobsSendTheirOwnMails() {
        handler.handle(FakeJobContext.of("job-1", SendEmailHandler.TYPE, MAIL));
        handler.handle(FakeJobContext.of("job-2", SendEmailHandler.TYPE, MAIL));

        assertThat(outbox.snapshot()).containsOnlyKeys("job-1", "job-2");
    }

    @Test
    void missingRecipientIsNotRetryableAndNamesTheField() {
        FakeJobContext job = FakeJobContext.of("job-1", SendEmailHandler.TYPE, "{\"subject\": \"Hi\"}");

        assertThatThrownBy(() -> handler.handle(job))
                .isInstanceOf(NonRetryableException.class)
                .hasMessageContaining("\"to\"")
                .hasMessageContaining("missing")
                .hasMessageContaining("job-1");
        assertThat(outbox.size()).isZero();
    }

    @Test
    void subjectAndBodyAreOptional() {
        handler.handle(FakeJobContext.of("job-1", SendEmailHandler.TYPE, "{\"to\": \"a@example.com\"}"));

        assertThat(outbox.get("job-1")).contains(new Outbox.Mail("a@example.com", "", ""));
    }

    @Test
    void aHandlerWithoutArgumentsHasItsOwnOutbox() {
        SendEmailHandler first = new SendEmailHandler();
        SendEmailHandler second = new SendEmailHandler();
        first.handle(FakeJobContext.of("job-1", SendEmailHandler.TYPE, MAIL));

        assertThat(first.outbox().size()).isEqualTo(1);
        assertThat(second.outbox().size()).isZero();
    }
}
