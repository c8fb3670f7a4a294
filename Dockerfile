# One image per host project (k8s/README.md: embedded mode uses only the first, clustered mode both):
#   docker build --build-arg PROJECT=ApiFrontend -t gateway-frontend .
#   docker build --build-arg PROJECT=Silo -t gateway-silo .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG PROJECT=ApiFrontend
WORKDIR /src
COPY . .
RUN dotnet publish src/${PROJECT}/${PROJECT}.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ARG PROJECT=ApiFrontend
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_URLS=http://+:8080 \
    GATEWAY_ENTRY=Gateway.${PROJECT}.dll
# The base image's non-root user 'app', by number (1654): Kubernetes' runAsNonRoot can only verify a numeric user.
USER $APP_UID
EXPOSE 8080
ENTRYPOINT ["sh", "-c", "exec dotnet \"$GATEWAY_ENTRY\""]
