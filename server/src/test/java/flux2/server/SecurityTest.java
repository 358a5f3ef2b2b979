package flux2.server;

import static flux2.server.ServerFixture.json;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token on a non-loopback bind, the loopback Host rule, the cross-site rule, and the project folder as the limit of every path. */
class SecurityTest {
    @TempDir Path root;
    @TempDir Path outside;

    @Test
    void everyRouteNeedsTheTokenWhenBoundBeyondLoopback() throws Exception {
        try (ServerFixture s = new ServerFixture(root)) {
            s.start(s.settings().withHost("0.0.0.0"));
            String token = s.token;
            assertNotNull(token, "a token is generated for a non-loopback bind");
            assertTrue(token.length() >= 32, token);
            assertTrue(s.server.url().endsWith("/?token=" + token), s.server.url());
            s.example("tiny");
            s.token = null;
            for (String path : List.of("/", "/assets/app.js", "/api/health", "/api/envs", "/api/envs/tiny/files/config.json",
                    "/api/envs/tiny/datasets/shapes/images/shape0.png", "/api/jobs/x/files/a.png", "/api/system")) {
                HttpResponse<String> r = s.get(path);
                assertEquals(401, r.statusCode(), path + ": " + r.body());
                assertTrue(Bodies.JSON.readTree(r.body()).get("error").asText().contains("needs its token"), r.body());
            }
            HttpResponse<String> wrong = s.send(s.request("/api/health").header("Authorization", "Bearer nope").build());
            assertEquals(401, wrong.statusCode());
            json(s.post("/api/envs", "{\"name\": \"b\", \"example\": true}"), 401);
            assertFalse(Files.exists(root.resolve("config/b")), "nothing written without the token");

            assertEquals(200, s.send(s.request("/api/health").header("Authorization", "Bearer " + token).build()).statusCode());
            // a ?token= link sets a cookie that the pages' later requests carry
            HttpResponse<String> link = s.get("/?token=" + token);
            assertEquals(200, link.statusCode());
            String cookie = link.headers().firstValue("Set-Cookie").orElseThrow();
            assertTrue(cookie.startsWith(Access.COOKIE + "=" + token) && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie);
            HttpResponse<String> withCookie = s.send(s.request("/api/envs/tiny/datasets/shapes/images/shape0.png")
                    .header("Cookie", Access.COOKIE + "=" + token).build());
            assertEquals(200, withCookie.statusCode());
        }
    }

    @Test
    void aGivenTokenIsCheckedOnLoopbackToo() throws Exception {
        try (ServerFixture s = new ServerFixture(root)) {
            s.start(s.settings().withToken("secret-token"));
            s.token = null;
            assertEquals(401, s.get("/api/health").statusCode());
            s.token = "secret-token";
            assertEquals(200, s.get("/api/health").statusCode());
        }
    }

    @Test
    void aLoopbackServerAnswersOnlyLoopbackNamesAndRefusesCrossSiteChanges() throws Exception {
        try (ServerFixture s = new ServerFixture(root).start()) {
            assertNull(s.token, "no token on 127.0.0.1 unless asked for");
            assertTrue(rawGet(s.server.port(), "localhost:" + s.server.port()).startsWith("HTTP/1.1 200"));
            String rebound = rawGet(s.server.port(), "attacker.example:" + s.server.port());
            assertTrue(rebound.startsWith("HTTP/1.1 403") && rebound.contains("loopback"), rebound);
            HttpResponse<String> cross = s.send(s.request("/api/envs").header("Content-Type", "application/json").header("Origin", "http://attacker.example")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"x\", \"example\": true}")).build());
            assertEquals(403, cross.statusCode(), cross.body());
            assertFalse(Files.exists(root.resolve("config/x")));
            HttpResponse<String> form = s.send(s.request("/api/envs").header("Content-Type", "text/plain")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"x\", \"example\": true}")).build());
            assertEquals(415, form.statusCode(), "a cross-site form cannot send JSON: " + form.body());
            HttpResponse<String> same = s.send(s.request("/api/envs").header("Content-Type", "application/json").header("Origin", s.base())
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"x\", \"example\": true}")).build());
            assertEquals(201, same.statusCode(), same.body());
        }
    }

    @Test
    void noPathLeavesTheProjectFolder() throws Exception {
        Files.writeString(outside.resolve("secret.png"), "not for clients");
        try (ServerFixture s = new ServerFixture(root).start()) {
            s.example("tiny");
            String images = "/api/envs/tiny/datasets/shapes/images/";
            for (String p : List.of("../../../secret.png", "%2E%2E/%2E%2E/%2E%2E/secret.png", "..%2F..%2Fsecret.png", "%2Fetc%2Fpasswd", outside.resolve("secret.png").toString()))
                assertEquals(403, rawStatus(s, images + p), p);
            // a symbolic link inside the dataset that points outside
            Files.createSymbolicLink(root.resolve("config/tiny/data/link.png"), outside.resolve("secret.png"));
            HttpResponse<String> link = s.get(images + "link.png");
            assertEquals(403, link.statusCode(), link.body());
            assertTrue(link.body().contains("symbolic link"), link.body());
            // a dataset folder outside the project: described, never read
            Path backends = root.resolve("config/tiny/multidatabackend.json");
            JsonNode list = Bodies.JSON.readTree(Files.readString(backends));
            Files.createDirectories(outside.resolve("data"));
            Files.copy(root.resolve("config/tiny/data/shape0.png"), outside.resolve("data/shape0.png"));
            Files.copy(root.resolve("config/tiny/data/shape0.txt"), outside.resolve("data/shape0.txt"));
            ((ObjectNode) list.get(0)).put("instance_data_dir", outside.resolve("data").toString());
            json(s.put("/api/envs/tiny/files/multidatabackend.json", list.toString()), 200);
            JsonNode d = json(s.get("/api/envs/tiny/datasets"), 200).get("datasets").get(0);
            assertTrue(d.get("error").asText().contains("outside the project folder"), d.toString());
            assertFalse(d.has("images"));
            assertEquals(403, s.get(images + "shape0.png").statusCode());
            // a config whose outputs would go outside the project cannot start
            Path config = root.resolve("config/tiny/config.json");
            ObjectNode c = (ObjectNode) Bodies.JSON.readTree(Files.readString(config));
            ((ObjectNode) list.get(0)).put("instance_data_dir", "config/tiny/data");
            json(s.put("/api/envs/tiny/files/multidatabackend.json", list.toString()), 200);
            c.put("output_dir", "../escaped-output");
            json(s.put("/api/envs/tiny/files/config.json", c.toString()), 200);
            JsonNode refused = json(s.post("/api/jobs", "{\"env\": \"tiny\"}"), 403);
            assertTrue(refused.get("error").asText().contains("outside the project folder"), refused.toString());
            assertFalse(Files.exists(root.getParent().resolve("escaped-output")));
        }
    }

    /** The status of a GET sent with the path exactly as written (no client-side normalizing). */
    private static int rawStatus(ServerFixture s, String path) throws Exception {
        try (Socket sock = new Socket("127.0.0.1", s.server.port())) {
            OutputStream o = sock.getOutputStream();
            o.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + s.server.port() + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            o.flush();
            String head = new String(sock.getInputStream().readNBytes(12), StandardCharsets.UTF_8);
            return Integer.parseInt(head.substring(9, 12));
        }
    }

    /** The response of a GET /api/health with this Host header (the JDK's client does not let a caller set Host). */
    private static String rawGet(int port, String host) throws Exception {
        try (Socket sock = new Socket("127.0.0.1", port)) {
            sock.getOutputStream().write(("GET /api/health HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            InputStream in = sock.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

}
