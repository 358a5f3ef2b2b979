package flux2.dist.mpi;

import flux2.dist.NativeLibraries;
import flux2.tensor.Backend;
import flux2.tensor.collective.Collectives;
import flux2.tensor.collective.CollectivesProvider;
import flux2.tensor.collective.RankEnv;

/** Open MPI collectives for ranks that mpirun starts: any device, through host memory. */
public final class MpiProvider implements CollectivesProvider {
    private static volatile Object mpiOrFailure;

    /** The loaded library, or a {@link NativeLibraries.Unavailable} with the reason. */
    static Mpi mpi() {
        Object m = mpiOrFailure;
        if (m == null) {
            synchronized (MpiProvider.class) {
                m = mpiOrFailure;
                if (m == null) {
                    try {
                        m = Mpi.load(Mpi.defaultLibrary());
                    } catch (NativeLibraries.Unavailable e) {
                        m = e.getMessage();
                    }
                    mpiOrFailure = m;
                }
            }
        }
        if (m instanceof Mpi mpi) return mpi;
        throw new NativeLibraries.Unavailable((String) m + " (install Open MPI: apt-get install openmpi-bin, or set -Dflux2.mpi.library=PATH)");
    }

    @Override public String name() { return "mpi"; }

    @Override
    public Probe probe() {
        try {
            Mpi m = mpi();
            return new Probe("mpi", true, m.version() + " (" + m.library + ")");
        } catch (NativeLibraries.Unavailable e) {
            return new Probe("mpi", false, e.getMessage());
        }
    }

    @Override public boolean serves(Backend device) { return true; }

    @Override
    public String cannotJoin(RankEnv env) {
        return env.launcher() == RankEnv.Launcher.MPIRUN ? null : "Open MPI collectives need ranks started by mpirun (mpirun -np N java -jar "
                + "flux2-trainer.jar train ...); this process was started with " + env.launcherName();
    }

    @Override
    public Collectives join(RankEnv env, Backend device) { return MpiCollectives.join(mpi(), env, device); }
}
