namespace Parley;

/// <summary>A value that may be absent, distinct from a present <c>null</c> (used by patches).</summary>
public readonly record struct Optional<T>
{
    private readonly T _value;

    /// <summary>A present value.</summary>
    public Optional(T value)
    {
        _value = value;
        HasValue = true;
    }

    /// <summary>Whether a value was given.</summary>
    public bool HasValue { get; }

    /// <summary>The value; only meaningful when <see cref="HasValue"/>.</summary>
    public T Value => HasValue ? _value : throw new InvalidOperationException("The optional has no value.");

    /// <summary>Wraps a value.</summary>
    public static implicit operator Optional<T>(T value) => new(value);
}
