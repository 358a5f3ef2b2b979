package flux2.server;

import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.HandlerType;
import io.javalin.http.SameSite;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;

/**
 * Who may use the server. Bound to a loopback address it answers only requests addressed to a loopback name (a web
 * page cannot reach it through a DNS name of its own); bound to any other address it needs a token, given with
 * {@code --token} or generated, and every route (pages, API, files and images) checks it: {@code Authorization:
 * Bearer <token>}, or the cookie that a {@code ?token=} link sets. A request that changes something and comes from
 * a page of another origin is refused whatever its credentials.
 */
public final class Access {
    /** The cookie that carries the token for pages and images. */
    public static final String COOKIE = "flux2_token";

    private final String token;
    private final boolean loopback;

    Access(String token, boolean loopback) {
        this.token = token;
        this.loopback = loopback;
    }

    /** The token of a server bound to {@code host}: {@code given}, or a generated one unless the host is a loopback address. */
    public static String tokenFor(String host, String given) {
        if (given != null && !given.isBlank()) return given;
        if (isLoopback(host)) return null;
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** True for 127.0.0.0/8, ::1 and names that resolve to them. */
    public static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Runs before every handler; throws the 401 or 403 of a request that may not go on. */
    void check(Context ctx) {
        if (loopback && !loopbackHost(ctx.header("Host")))
            throw ApiError.forbidden("this server answers only requests to a loopback address (Host was " + ctx.header("Host") + ")");
        if (token != null && !authorized(ctx))
            throw new ApiError(401, "this server needs its token: open the link it printed (http://HOST:PORT/?token=...) or send Authorization: Bearer <token>");
        HandlerType m = ctx.method();
        if (m != HandlerType.GET && m != HandlerType.HEAD && m != HandlerType.OPTIONS) {
            String origin = ctx.header("Origin");
            if (origin != null && !sameOrigin(origin, ctx.header("Host")))
                throw ApiError.forbidden("a request from another site (Origin " + origin + ") may not change anything here");
        }
    }

    private boolean authorized(Context ctx) {
        String auth = ctx.header("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) && matches(auth.substring(7).strip())) return true;
        if (matches(ctx.cookie(COOKIE))) return true;
        String q = ctx.queryParam("token");
        if (matches(q)) {
            ctx.cookie(new Cookie(COOKIE, q, "/", -1, false, true, null, SameSite.STRICT));
            return true;
        }
        return false;
    }

    private boolean matches(String candidate) {
        return candidate != null && MessageDigest.isEqual(candidate.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    private static boolean loopbackHost(String host) {
        if (host == null) return false;
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) h = h.substring(1, Math.max(1, h.indexOf(']')));
        else if (h.indexOf(':') >= 0) h = h.substring(0, h.indexOf(':'));
        return h.equals("localhost") || h.equals("::1") || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    private static boolean sameOrigin(String origin, String host) {
        try {
            URI o = URI.create(origin);
            return host != null && ("http".equals(o.getScheme()) || "https".equals(o.getScheme())) && host.equalsIgnoreCase(o.getRawAuthority());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
