# Build: the release binary, exactly as Cargo.lock pins it.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

# Run: a slim Debian with roster as a non-root user. curl is here for the health check.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/roster roster \
    && mkdir -p /var/lib/roster/data \
    && chown -R roster:roster /var/lib/roster
COPY --from=build /src/target/release/roster /usr/local/bin/roster
USER roster
# The default DATABASE_URL, sqlite://data/roster.db, resolves to /var/lib/roster/data/roster.db:
# mount a volume there to keep SQLite data, or set DATABASE_URL to a PostgreSQL server.
WORKDIR /var/lib/roster
ENV ROSTER_BIND=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["roster"]
CMD ["serve"]
