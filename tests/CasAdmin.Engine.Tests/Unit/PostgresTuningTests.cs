using CasAdmin.Engine.Store;
using Npgsql;

namespace CasAdmin.Engine.Tests.Unit;

public sealed class PostgresTuningTests
{
    [Fact]
    public void ByDefault_StatementsArePrepared_AndPooledConnectionsAreNotReset()
    {
        const string given = "Host=db;Database=casadmin;Username=runner";
        var builder = new NpgsqlConnectionStringBuilder(given);

        PostgresRegistryStore.Tune(builder, given);

        Assert.Equal(64, builder.MaxAutoPrepare);
        Assert.True(builder.NoResetOnClose);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;max auto prepare=0;no reset on close=false")]
    public void WhatTheConnectionStringSays_Wins(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);

        PostgresRegistryStore.Tune(builder, connectionString);

        Assert.Equal(0, builder.MaxAutoPrepare);
        Assert.False(builder.NoResetOnClose);
    }
}
