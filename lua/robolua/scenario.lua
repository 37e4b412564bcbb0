return {run=function() error('not yet') end}
