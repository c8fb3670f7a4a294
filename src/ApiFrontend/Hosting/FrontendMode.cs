namespace Gateway.ApiFrontend.Hosting;

public enum FrontendMode
{
    /// <summary>One process: the frontend co-hosts a silo.</summary>
    Embedded,

    /// <summary>The frontend connects to silos running elsewhere.</summary>
    Client,
}
