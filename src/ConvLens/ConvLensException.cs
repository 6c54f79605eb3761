namespace ConvLens;

/// <summary>
/// An error a user can act on (bad data, bad option, wrong checkpoint): the message is one complete sentence
/// meant to be printed as it is, with no stack trace.
/// </summary>
public class ConvLensException(string message, Exception? inner = null) : Exception(message, inner);
