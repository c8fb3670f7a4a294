using System.Collections.Concurrent;

namespace Gateway.Grains.Abstractions;

/// <summary>
/// References to string-keyed grains for the request path. <c>IGrainFactory.GetGrain&lt;T&gt;(key)</c> resolves the
/// interface's grain types again at every call (it reads the interface's custom attributes and formats its type name),
/// which was about a twentieth of a plain request's CPU for the three references a request takes. Here they are resolved
/// once per interface, from the first reference Orleans makes, and the later references are made from them.
/// </summary>
public sealed class GrainReferences(IGrainFactory grains)
{
    private readonly ConcurrentDictionary<Type, (GrainType Grain, GrainInterfaceType Interface)> _types = new();

    /// <summary>The same reference as <c>GetGrain&lt;TGrainInterface&gt;(key)</c>.</summary>
    public TGrainInterface Get<TGrainInterface>(string key)
        where TGrainInterface : IGrainWithStringKey
    {
        if (_types.TryGetValue(typeof(TGrainInterface), out var types))
        {
            return (TGrainInterface)grains.GetGrain(GrainId.Create(types.Grain, key), types.Interface);
        }

        var reference = grains.GetGrain<TGrainInterface>(key);
        if (reference is GrainReference resolved)
        {
            _types.TryAdd(typeof(TGrainInterface), (resolved.GrainId.Type, resolved.InterfaceType));
        }

        return reference;
    }
}
