using Gateway.ApiFrontend.Cluster;
using Gateway.ApiFrontend.Hosting;
using Gateway.Catalog;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.ApiFrontend.Apis;

/// <summary>
/// The services the chat pipeline draws on, bound from the container by <c>[AsParameters]</c>: the endpoints of every
/// dialect take the same set, so it is written once.
/// </summary>
public sealed record ChatServices(
    IGrainFactory Grains,
    GrainReferences References,
    ModelCatalog Catalog,
    UpstreamCallWatch Watch,
    IdempotentCalls Idempotent,
    LostCallReleases LostReleases,
    IOptions<FrontendOptions> Options,
    [FromKeyedServices(GatewayClock.Key)] TimeProvider Time);
