# syntax=docker/dockerfile:1
# The fnf-operator image: a release build of the one binary, run as a non-root
# user on distroless (glibc, CA certificates, no shell, no package manager).
#
#   docker build -t fnf-operator:dev .
#   docker run --rm fnf-operator:dev --help

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the registry and target dir between builds, so a source change
# recompiles only the changed crates. --locked builds exactly what Cargo.lock pins.
# -p fnf-operator: the operator and the cloud client only; the emulator, test kit
# (control plane, rcgen) and benchmark (plotters) are other workspace members.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p fnf-operator --bin fnf-operator \
 && install -D -m 0755 target/release/fnf-operator /out/fnf-operator

# cc: the binary links glibc and libgcc_s dynamically (Debian 12, same as the build stage).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/fnf-operator /usr/local/bin/fnf-operator
# 65532:65532 is distroless's nonroot; numeric so runAsNonRoot can verify it.
USER 65532:65532
# /metrics, /healthz, /readyz
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/fnf-operator"]
CMD ["run"]
