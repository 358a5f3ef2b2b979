package flux2.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The pages' static files, served from the jar: the server's own (index.html, app.js, style.css under
 * flux2/server/web/) and uPlot's from its webjar. Only plain file names are served, so no request names anything else.
 */
final class Assets {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*\\.(html|js|css|png|svg)");
    private static final String OWN = "/flux2/server/web/";
    private static final String UPLOT = "/META-INF/resources/webjars/uplot/" + webjarVersion("uplot") + "/dist/";

    private Assets() {}

    static void own(Context ctx, String name) throws IOException {
        serve(ctx, OWN, name);
    }

    static void uplot(Context ctx, String name) throws IOException {
        serve(ctx, UPLOT, name);
    }

    private static void serve(Context ctx, String base, String name) throws IOException {
        if (!NAME.matcher(name).matches()) throw ApiError.notFound("no asset '" + name + "'");
        InputStream in = Assets.class.getResourceAsStream(base + name);
        if (in == null) throw ApiError.notFound("no asset '" + name + "'");
        try (in) {
            ctx.contentType(type(name)).header("Cache-Control", "no-cache").result(in.readAllBytes());
        }
    }

    static String type(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".html")) return "text/html; charset=utf-8";
        if (n.endsWith(".js")) return "text/javascript; charset=utf-8";
        if (n.endsWith(".css")) return "text/css; charset=utf-8";
        if (n.endsWith(".png")) return "image/png";
        if (n.endsWith(".jpg") || n.endsWith(".jpeg")) return "image/jpeg";
        if (n.endsWith(".webp")) return "image/webp";
        if (n.endsWith(".gif")) return "image/gif";
        if (n.endsWith(".bmp")) return "image/bmp";
        if (n.endsWith(".svg")) return "image/svg+xml";
        if (n.endsWith(".json")) return "application/json";
        if (n.endsWith(".jsonl") || n.endsWith(".txt") || n.endsWith(".log")) return "text/plain; charset=utf-8";
        return "application/octet-stream";
    }

    /** The version of a webjar on the class path, from its Maven metadata. */
    private static String webjarVersion(String artifact) {
        try (InputStream in = Assets.class.getResourceAsStream("/META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties")) {
            if (in == null) throw new IllegalStateException("the " + artifact + " webjar is not on the class path");
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the " + artifact + " webjar's version", e);
        }
    }
}
