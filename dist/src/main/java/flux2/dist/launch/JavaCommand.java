package flux2.dist.launch;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command that starts another JVM like this one (same java, flags and class path) on a main class. */
public final class JavaCommand {
    private JavaCommand() {}

    /** {@code java <this JVM's flags> -cp <class path> mainClass args...}, with the Vector API module and native access enabled. */
    public static List<String> current(String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        List<String> flags = ManagementFactory.getRuntimeMXBean().getInputArguments();
        cmd.addAll(flags);
        // a jar's manifest enables native access for -jar only; the Vector API module may come from a relaunch
        if (flags.stream().noneMatch(f -> f.startsWith("--enable-native-access"))) cmd.add("--enable-native-access=ALL-UNNAMED");
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && flags.stream().noneMatch(f -> f.contains("jdk.incubator.vector")))
            cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(args);
        return cmd;
    }
}
