package flux2.server.jobs;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * Launches the trainer on the JDK and class path of the running server, with the flags the engine needs: from the
 * jar, {@code java ... -cp flux2-trainer.jar flux2.app.Main train ...}, the command the jar's launcher would relaunch
 * (run directly, so that the child's process is the trainer itself and stopping or killing it reaches the trainer).
 */
public final class JavaLauncher implements JobLauncher {
    /** The JVM flags of every trainer child. */
    public static final List<String> FLAGS = List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC");

    private final String java, classPath, mainClass;

    public JavaLauncher(String java, String classPath, String mainClass) {
        this.java = java;
        this.classPath = classPath;
        this.mainClass = mainClass;
    }

    /** {@code mainClass} on this JVM's java binary and class path. */
    public static JavaLauncher sameJvm(String mainClass) {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        return new JavaLauncher(java, System.getProperty("java.class.path"), mainClass);
    }

    @Override
    public List<String> command(List<String> trainerArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(FLAGS);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(mainClass);
        cmd.addAll(trainerArgs);
        return cmd;
    }
}
