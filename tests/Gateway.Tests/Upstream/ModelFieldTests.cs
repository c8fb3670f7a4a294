using System.Text;
using Gateway.Grains.Upstream;

namespace Gateway.Tests.Upstream;

/// <summary>The top-level <c>model</c> written into bodies: first in the request sent upstream, replaced in the answer.</summary>
public sealed class ModelFieldTests
{
    private static readonly byte[] Model = "\"gpt-up\""u8.ToArray();

    [Theory]
    [InlineData("{\"messages\":[],\"seed\":7}", "{\"model\":\"gpt-up\",\"messages\":[],\"seed\":7}")]
    [InlineData("{}", "{\"model\":\"gpt-up\"}")]
    [InlineData("{ \n}", "{\"model\":\"gpt-up\" \n}")]
    public void InsertsTheModelFirstAndKeepsEveryOtherByte(string body, string expected) =>
        Assert.Equal(expected, Encoding.UTF8.GetString(ModelField.Insert(Encoding.UTF8.GetBytes(body), Model)));

    [Theory]
    [InlineData("{\"id\":\"c1\",\"model\":\"up-1\",\"choices\":[]}", "{\"id\":\"c1\",\"model\":\"gpt-up\",\"choices\":[]}")]
    [InlineData("{\"choices\":[{\"model\":\"a\"}],\"model\":\"b\"}", "{\"choices\":[{\"model\":\"a\"}],\"model\":\"gpt-up\"}")]
    public void ReplacesOnlyTheTopLevelModel(string body, string expected) =>
        Assert.Equal(expected, Encoding.UTF8.GetString(ModelField.Replace(Encoding.UTF8.GetBytes(body), Model)));

    [Theory]
    [InlineData("{\"id\":\"c1\"}")]
    [InlineData("{\"model\":\"gpt-up\"}")]
    [InlineData("[1,2]")]
    public void LeavesABodyWithNothingToReplaceAsItWas(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);

        Assert.Same(bytes, ModelField.Replace(bytes, Model));
    }
}
