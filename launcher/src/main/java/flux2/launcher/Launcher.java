package flux2.launcher;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * Entry point of the jar, compiled for old JDKs: it refuses JDKs older than 25 with one clear line, and
 * relaunches the JVM with the Vector API module and native access enabled when they are missing.
 */
public final class Launcher {
    static final int REQUIRED = 25;
    static final String MAIN = "flux2.app.Main";
    static final String[] FLAGS = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"};

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        int feature = featureVersion(System.getProperty("java.specification.version"));
        if (feature < REQUIRED) {
            System.err.println("flux2-trainer needs Java " + REQUIRED + " or newer, but runs on Java "
                    + System.getProperty("java.version") + " (" + System.getProperty("java.home")
                    + "); run bin/flux2, which finds a JDK 25, or use a JDK 25 'java'.");
            System.exit(2);
        }
        if (!vectorModuleLoaded() && System.getenv("FLUX2_RELAUNCHED") == null) {
            System.exit(relaunch(args));
        }
        Method m = Class.forName(MAIN).getMethod("main", String[].class);
        m.invoke(null, (Object) args);
    }

    /**
     * The command of the relaunched JVM: the module flags, then every option of this JVM but its own module flags
     * (so -D settings such as -Dflux2.gpu.memoryLimit and -Xmx reach the run), then the class path and the arguments.
     */
    static List<String> relaunchCommand(String java, List<String> jvmOptions, String classPath, String[] args) {
        List<String> cmd = new ArrayList<String>();
        cmd.add(java);
        for (String f : FLAGS) cmd.add(f);
        for (String a : jvmOptions) {
            if (!a.startsWith("--add-modules") && !a.startsWith("--enable-native-access")) cmd.add(a);
        }
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(Launcher.class.getName());
        for (String a : args) cmd.add(a);
        return cmd;
    }

    static int featureVersion(String spec) {
        if (spec == null) return 0;
        String s = spec.startsWith("1.") ? spec.substring(2) : spec;
        int end = 0;
        while (end < s.length() && Character.isDigit(s.charAt(end))) end++;
        return end == 0 ? 0 : Integer.parseInt(s.substring(0, end));
    }

    private static boolean vectorModuleLoaded() {
        try {
            Class<?> layer = Class.forName("java.lang.ModuleLayer");
            Object boot = layer.getMethod("boot").invoke(null);
            Object opt = layer.getMethod("findModule", String.class).invoke(boot, "jdk.incubator.vector");
            return (Boolean) opt.getClass().getMethod("isPresent").invoke(opt);
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    private static int relaunch(String[] args) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = relaunchCommand(java, ManagementFactory.getRuntimeMXBean().getInputArguments(),
                System.getProperty("java.class.path"), args);
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put("FLUX2_RELAUNCHED", "1");
        final Process p = pb.start();
        // a signal to this process (mpirun ending a job, Ctrl-C) ends the relaunched JVM too
        Runtime.getRuntime().addShutdownHook(new Thread(new Runnable() {
            public void run() {
                p.destroy();
            }
        }));
        return p.waitFor();
    }
}
