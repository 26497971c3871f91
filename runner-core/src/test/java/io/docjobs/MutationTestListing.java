package io.docjobs;

import java.lang.reflect.Method;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * Skips test bodies, and the {@code @BeforeAll/@BeforeEach/@AfterEach/@AfterAll} methods around
 * them, while a PIT mutation minion lists the tests it may run: PIT's JUnit 5 plugin finds a
 * class's tests by executing the class with a listener, so every minion (one per mutated class, and
 * a new one after each time-out or crash) used to run every test class covering its mutants once
 * before the first mutant, for nothing but their ids (30 s for a class the whole suite covers, on
 * two cores). The listing only needs each test to start; it still does. Everywhere else tests run
 * as usual: in surefire, in PIT's coverage minion (which learns coverage by running them), and in
 * the mutation minion's runs of single tests against a mutant.
 *
 * <p>Registered for every test class through {@code META-INF/services}, like {@link QuickAwaits}.
 */
public final class MutationTestListing implements InvocationInterceptor {
    private static final String MINION = "org.pitest.mutationtest.execute.MutationTestMinion";
    private static final String LISTING = "findTestsForTestClasses";

    /** Whether this call comes from a mutation minion listing tests (read from the stack: PIT sets nothing else). */
    static boolean listing() {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(frame ->
                frame.getClassName().equals(MINION) && frame.getMethodName().equals(LISTING)));
    }

    private static <T> T skipOrProceed(Invocation<T> invocation) throws Throwable {
        if (listing()) {
            invocation.skip();
            return null;
        }
        return invocation.proceed();
    }

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> context,
            ExtensionContext extension) throws Throwable {
        skipOrProceed(invocation);
    }

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> context,
            ExtensionContext extension) throws Throwable {
        skipOrProceed(invocation);
    }

    @Override
    public void interceptBeforeAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> context,
            ExtensionContext extension) throws Throwable {
        skipOrProceed(invocation);
    }

    @Override
    public void interceptBeforeEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> context,
            ExtensionContext extension) throws Throwable {
        skipOrProceed(invocation);
    }

    @Override
    public void interceptAfterEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> context,
            ExtensionContext extension) throws Throwable {
        skipOrProceed(invocation);
    }

    @Override
    public void interceptAfterAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> context,
            ExtensionContext extension) throws Throwable {
        skipOrProceed(invocation);
    }
}
